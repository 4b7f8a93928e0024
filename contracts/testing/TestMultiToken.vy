# pragma version ~=0.4.3
"""
@title Minimal ERC-1155 with safe transfers
@notice Test-only: mint, safeTransferFrom and safeBatchTransferFrom with the acceptance checks ERC-1155
        specifies (a contract recipient must answer `onERC1155Received` / `onERC1155BatchReceived` with the
        selector, else the transfer reverts), so the treasury tests can show what the treasury accepts. Anyone
        may mint; only holders move their own tokens (no operators). Never deployed to a real network.
"""

interface IERC1155Receiver:
    def onERC1155Received(
        operator: address, sender: address, token_id: uint256, amount: uint256, data: Bytes[1024]
    ) -> bytes4: nonpayable
    def onERC1155BatchReceived(
        operator: address,
        sender: address,
        token_ids: DynArray[uint256, 16],
        amounts: DynArray[uint256, 16],
        data: Bytes[1024],
    ) -> bytes4: nonpayable


event TransferSingle:
    operator: indexed(address)
    sender: indexed(address)
    receiver: indexed(address)
    token_id: uint256
    amount: uint256


event TransferBatch:
    operator: indexed(address)
    sender: indexed(address)
    receiver: indexed(address)
    token_ids: DynArray[uint256, 16]
    amounts: DynArray[uint256, 16]


balanceOf: public(HashMap[address, HashMap[uint256, uint256]])


@external
def mint(receiver: address, token_id: uint256, amount: uint256):
    """
    @notice Creates `amount` of token type `token_id` for `receiver` (no acceptance check).
    @param receiver The holder.
    @param token_id The token type.
    @param amount How many.
    """
    self.balanceOf[receiver][token_id] += amount
    log TransferSingle(
        operator=msg.sender, sender=empty(address), receiver=receiver, token_id=token_id, amount=amount
    )


@external
def safeTransferFrom(sender: address, receiver: address, token_id: uint256, amount: uint256, data: Bytes[1024]):
    """
    @notice Moves `amount` of `token_id` from the caller `sender` to `receiver`, which must accept it if a contract.
    @param sender The holder (the caller).
    @param receiver The new holder.
    @param token_id The token type.
    @param amount How many.
    @param data Passed to `onERC1155Received`.
    """
    self._move(sender, receiver, token_id, amount)
    log TransferSingle(operator=msg.sender, sender=sender, receiver=receiver, token_id=token_id, amount=amount)
    if receiver.is_contract:
        answer: bytes4 = extcall IERC1155Receiver(receiver).onERC1155Received(
            msg.sender, sender, token_id, amount, data
        )
        assert answer == method_id(
            "onERC1155Received(address,address,uint256,uint256,bytes)", output_type=bytes4
        ), "multi token: the receiver refused the tokens"


@external
def safeBatchTransferFrom(
    sender: address,
    receiver: address,
    token_ids: DynArray[uint256, 16],
    amounts: DynArray[uint256, 16],
    data: Bytes[1024],
):
    """
    @notice Moves several token types at once, as `safeTransferFrom` does each.
    @param sender The holder (the caller).
    @param receiver The new holder.
    @param token_ids The token types.
    @param amounts How many of each.
    @param data Passed to `onERC1155BatchReceived`.
    """
    assert len(token_ids) == len(amounts), "multi token: ids and amounts differ in length"
    for index: uint256 in range(len(token_ids), bound=16):
        self._move(sender, receiver, token_ids[index], amounts[index])
    log TransferBatch(operator=msg.sender, sender=sender, receiver=receiver, token_ids=token_ids, amounts=amounts)
    if receiver.is_contract:
        answer: bytes4 = extcall IERC1155Receiver(receiver).onERC1155BatchReceived(
            msg.sender, sender, token_ids, amounts, data
        )
        assert answer == method_id(
            "onERC1155BatchReceived(address,address,uint256[],uint256[],bytes)", output_type=bytes4
        ), "multi token: the receiver refused the tokens"


@internal
def _move(sender: address, receiver: address, token_id: uint256, amount: uint256):
    assert msg.sender == sender, "multi token: only the holder may move its tokens"
    assert receiver != empty(address), "multi token: transfer to the zero address"
    self.balanceOf[sender][token_id] -= amount
    self.balanceOf[receiver][token_id] += amount
