"""A sandbox counterpart (bank, KYC provider) as a real process for tests: `python -m <module>` on a free
loopback port, its database and its webhook secret file under the test's directory, its webhooks signed with a
test secret and retried quickly; it can be killed with SIGKILL and restarted on the same port and database, as
a crash would leave it. Each counterpart names its module, its settings' environment prefix and its own
settings (`counterpart_env`)."""

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Self

from chain.paths import PROJECT_ROOT
from scripts._support.processes import LOOPBACK, ManagedProcess, free_port


@dataclass
class SandboxProcess:
    directory: Path
    webhook_url: str | None
    port: int = field(default_factory=free_port)
    starts: int = 0
    process: ManagedProcess | None = None

    name: ClassVar[str]
    """The process's name in logs and its log files' stem (`bank` -> `bank-1.log`)."""
    module: ClassVar[str]
    env_prefix: ClassVar[str]
    ready: ClassVar[str]
    """The line the process prints once it listens."""
    webhook_secret: ClassVar[str]

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def secret_path(self) -> Path:
        return self.directory / "webhook.secret"

    def counterpart_env(self) -> dict[str, str]:
        """This counterpart's own settings (its database, its delay), without the prefix."""
        raise NotImplementedError

    def start(self) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.secret_path.write_text(self.webhook_secret)
        self.secret_path.chmod(0o600)
        settings = {
            "HOST": LOOPBACK,
            "PORT": str(self.port),
            "WEBHOOK_SECRET_PATH": str(self.secret_path),
            "MAX_RETRY_SECONDS": "1",
            "POLL_INTERVAL_SECONDS": "0.05",
        } | self.counterpart_env()
        if self.webhook_url is not None:
            settings["WEBHOOK_URL"] = self.webhook_url
        env = dict(os.environ) | {self.env_prefix + key: value for key, value in settings.items()}
        self.starts += 1
        log_path = self.directory / f"{self.name}-{self.starts}.log"
        argv = [sys.executable, "-m", self.module]
        self.process = ManagedProcess(
            f"sandbox-{self.name}", argv, log_path=log_path, env=env, cwd=PROJECT_ROOT
        ).start()
        self.process.wait_ready(lambda: self.ready in log_path.read_text(errors="replace"), timeout=30)
        return self

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown."""
        if self.process is not None:
            self.process.kill()

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
