// TPWallet's passkey page: create a passkey for the signed-in identity, and sign in with one.
//
// The server makes every challenge (/v1/auth/passkeys/{registration,authentication}/options) and checks every
// answer (.../verify); this script only carries them between it and navigator.credentials, turning the
// options' base64url strings into ArrayBuffers and the credential's ArrayBuffers back into base64url (the
// WebAuthn Level 3 JSON forms, written out here so that browsers without parseCreationOptionsFromJSON or
// toJSON() work too). A session it signs in is kept in this tab's sessionStorage ("tpwallet.session"), and
// is gone when the tab closes. No framework, no build step, nothing from another origin: the page's
// Content-Security-Policy allows only this script and requests to this origin.
"use strict";

const SESSION_KEY = "tpwallet.session";

function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (character) => character.charCodeAt(0)).buffer;
}

function toBase64url(buffer) {
  if (buffer === null || buffer === undefined) {
    return undefined;
  }
  const binary = String.fromCharCode(...new Uint8Array(buffer));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function descriptors(list) {
  return (list || []).map((descriptor) => ({ ...descriptor, id: fromBase64url(descriptor.id) }));
}

function creationOptions(options) {
  return {
    ...options,
    challenge: fromBase64url(options.challenge),
    user: { ...options.user, id: fromBase64url(options.user.id) },
    excludeCredentials: descriptors(options.excludeCredentials),
  };
}

function requestOptions(options) {
  return {
    ...options,
    challenge: fromBase64url(options.challenge),
    allowCredentials: descriptors(options.allowCredentials),
  };
}

function credentialJson(credential, response) {
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    response,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}

function registrationJson(credential) {
  const response = credential.response;
  return credentialJson(credential, {
    clientDataJSON: toBase64url(response.clientDataJSON),
    attestationObject: toBase64url(response.attestationObject),
    transports: typeof response.getTransports === "function" ? response.getTransports() : [],
  });
}

function assertionJson(credential) {
  const response = credential.response;
  return credentialJson(credential, {
    clientDataJSON: toBase64url(response.clientDataJSON),
    authenticatorData: toBase64url(response.authenticatorData),
    signature: toBase64url(response.signature),
    userHandle: toBase64url(response.userHandle),
  });
}

class Refused extends Error {}

async function post(path, body, accessToken) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (accessToken) {
    headers.Authorization = `Bearer ${accessToken}`;
  }
  const answer = await fetch(path, { method: "POST", headers, body: JSON.stringify(body || {}) });
  const document = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    // An RFC 7807 problem document: its detail, and the field it names when it names one.
    const field = (document.errors || []).map((error) => error.field).filter(Boolean)[0];
    const detail = document.detail || document.title || `HTTP ${answer.status}`;
    throw new Refused(field ? `${detail} (${field})` : detail);
  }
  return document;
}

function report(state, text) {
  const status = document.getElementById("status");
  status.dataset.state = state;
  status.textContent = text;
}

function failure(error) {
  // A refusal by the server says why; the browser's own (the user cancelled, no authenticator) are named.
  report("failed", error instanceof Refused ? `Refused: ${error.message}` : `${error.name}: ${error.message}`);
}

async function register() {
  const accessToken = document.getElementById("access-token").value.trim();
  const userName = document.getElementById("user-name").value.trim();
  if (!accessToken || !userName) {
    report("failed", "Sign in first (the access token) and name the passkey.");
    return;
  }
  report("pending", "Creating a passkey: follow your authenticator.");
  try {
    const ceremony = await post("/v1/auth/passkeys/registration/options", { user_name: userName }, accessToken);
    const credential = await navigator.credentials.create({ publicKey: creationOptions(ceremony.options) });
    const stored = await post(
      "/v1/auth/passkeys/registration/verify",
      { ceremony_id: ceremony.ceremony_id, credential: registrationJson(credential) },
      accessToken,
    );
    report("registered", `Passkey ${stored.credential_id} added: sign in with it from now on.`);
  } catch (error) {
    failure(error);
  }
}

async function signIn() {
  report("pending", "Signing in: follow your authenticator.");
  try {
    const ceremony = await post("/v1/auth/passkeys/authentication/options");
    const credential = await navigator.credentials.get({ publicKey: requestOptions(ceremony.options) });
    const session = await post("/v1/auth/passkeys/authentication/verify", {
      ceremony_id: ceremony.ceremony_id,
      credential: assertionJson(credential),
    });
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    document.getElementById("access-token").value = session.access_token;
    const until = new Date(session.expires_at * 1000).toISOString();
    report("signed-in", `Signed in as ${session.subject_id} (session ${session.session_id}) until ${until}.`);
  } catch (error) {
    failure(error);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (!window.PublicKeyCredential || !window.isSecureContext) {
    report("failed", "This browser cannot use passkeys here (it needs WebAuthn over HTTPS or on localhost).");
    return;
  }
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    document.getElementById("access-token").value = (saved && saved.access_token) || "";
  } catch (error) {
    sessionStorage.removeItem(SESSION_KEY); // not ours, or damaged: sign in again
  }
  document.getElementById("register").addEventListener("click", register);
  document.getElementById("login").addEventListener("click", signIn);
  report("ready", "");
});
