# pragma version ~=0.4.3
"""
@title Minimal ERC-721 with safe transfers
@notice Test-only: mint, transferFrom, and safeTransferFrom with the receiver check ERC-721 specifies (a
        contract recipient must answer `onERC721Received` with its selector, else the transfer reverts), so the
        treasury tests can show what the treasury accepts and move an NFT out again. Anyone may mint. Never
        deployed to a real network.
"""

interface IERC721Receiver:
    def onERC721Received(
        operator: address, sender: address, token_id: uint256, data: Bytes[1024]
    ) -> bytes4: nonpayable


event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    token_id: indexed(uint256)


ownerOf: public(HashMap[uint256, address])
balanceOf: public(HashMap[address, uint256])


@external
def mint(receiver: address, token_id: uint256):
    """
    @notice Creates NFT `token_id` for `receiver`.
    @param receiver The holder.
    @param token_id An id not minted before.
    """
    assert self.ownerOf[token_id] == empty(address), "nft: already minted"
    self._move(empty(address), receiver, token_id)


@external
def transferFrom(sender: address, receiver: address, token_id: uint256):
    """
    @notice Moves `token_id` from its holder `sender` (who must be the caller) to `receiver`, unchecked.
    @param sender The holder.
    @param receiver The new holder.
    @param token_id The NFT.
    """
    self._check_holder(sender, token_id)
    self._move(sender, receiver, token_id)


@external
def safeTransferFrom(sender: address, receiver: address, token_id: uint256, data: Bytes[1024] = b""):
    """
    @notice Moves `token_id` as `transferFrom` does, then has a contract `receiver` acknowledge it.
    @param sender The holder.
    @param receiver The new holder.
    @param token_id The NFT.
    @param data Passed to `onERC721Received`.
    """
    self._check_holder(sender, token_id)
    self._move(sender, receiver, token_id)
    if receiver.is_contract:
        answer: bytes4 = extcall IERC721Receiver(receiver).onERC721Received(msg.sender, sender, token_id, data)
        assert answer == method_id("onERC721Received(address,address,uint256,bytes)", output_type=bytes4), (
            "nft: the receiver refused the token"
        )


@internal
@view
def _check_holder(sender: address, token_id: uint256):
    assert self.ownerOf[token_id] == sender, "nft: the sender does not hold the token"
    assert msg.sender == sender, "nft: only the holder may move the token"
    assert sender != empty(address), "nft: no such token"


@internal
def _move(sender: address, receiver: address, token_id: uint256):
    assert receiver != empty(address), "nft: transfer to the zero address"
    if sender != empty(address):
        self.balanceOf[sender] -= 1
    self.balanceOf[receiver] += 1
    self.ownerOf[token_id] = receiver
    log Transfer(sender=sender, receiver=receiver, token_id=token_id)
