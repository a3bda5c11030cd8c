// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "./MerkleTreeWithHistory.sol";

interface IERC20Minimal {
    function balanceOf(address who) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

interface IVerifier2x2 {
    function verifyProof(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[8] calldata input)
        external view returns (bool);
}

interface IVerifier16x2 {
    function verifyProof(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[22] calldata input)
        external view returns (bool);
}

/// @title Hush shielded pool for one ERC-20: deposit, transfer, withdraw and relayer fee in one `transact`.
/// @notice A transfer proves (circuits/transfer.circom, public inputs root, publicAmount, fee,
/// extDataHash, inputNullifier[nIns], outputCommitment[2]) that
///     sum(inputs) + publicAmount == sum(outputs) + fee,
/// publicAmount > 0 is a deposit pulled from extData.depositor, who must be msg.sender (so no one
/// can make another account, a relayer's say, pay for a deposit), publicAmount < 0 (encoded r - |x|)
/// a withdrawal to extData.recipient, and fee goes to extData.relayer. The owner may cap and pause
/// deposits; nothing lets the owner move funds.
contract ShieldedPool is MerkleTreeWithHistory {
    uint256 public constant FIELD_SIZE = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 public constant MAX_AMOUNT = 1 << 120; // circuits/lib/constants.circom AMOUNT_BITS
    uint256 public constant N_OUTS = 2;

    struct Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
        uint256 root;
        uint256 publicAmount;
        uint256 extDataHash;
        uint256[] inputNullifiers;
        uint256[2] outputCommitments;
    }

    struct ExtData {
        address recipient;
        address relayer;
        uint256 fee;
        bytes[] encryptedOutputs;
        address depositor; // a deposit's payer and sender; address(0) when publicAmount is not a deposit
    }

    IERC20Minimal public immutable token;
    IVerifier2x2 public immutable verifier2x2;
    IVerifier16x2 public immutable verifier16x2;

    address public owner;
    uint256 public maximumDepositAmount;
    bool public depositsPaused;
    mapping(uint256 => bool) public nullifierHashes;
    uint256 private _entered = 1;

    event NewCommitment(uint256 commitment, uint256 index, bytes encryptedOutput);
    event NewNullifier(uint256 nullifier);
    event DepositLimitSet(uint256 maximumDepositAmount);
    event DepositsPaused(bool paused);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error UnknownRoot(uint256 root);
    error NullifierSpent(uint256 nullifier);
    error UnsupportedShape(uint256 nIns, uint256 nOuts);
    error BadExtDataHash(uint256 expected, uint256 got);
    error AmountOutOfRange(uint256 publicAmount);
    error FeeOutOfRange(uint256 fee);
    error DepositTooLarge(uint256 amount, uint256 maximum);
    error DepositsArePaused();
    error InvalidProof();
    error NotOwner();
    error Reentrancy();
    error ZeroAddress(string what);
    error TokenCallFailed();
    error DepositorMismatch(address depositor, address sender);
    error VerifierLevelsMismatch(address verifier, uint256 levels, uint256 verifierLevels);
    error VerifierShapeMismatch(address verifier, uint256 nPublic, uint256 verifierNPublic);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    modifier nonReentrant() {
        if (_entered != 1) revert Reentrancy();
        _entered = 2;
        _;
        _entered = 1;
    }

    constructor(
        uint32 _levels,
        IHasher _hasher,
        IERC20Minimal _token,
        IVerifier2x2 _verifier2x2,
        IVerifier16x2 _verifier16x2,
        uint256 _maximumDepositAmount
    ) MerkleTreeWithHistory(_levels, _hasher) {
        if (address(_token) == address(0)) revert ZeroAddress("token");
        if (address(_verifier2x2) == address(0)) revert ZeroAddress("verifier2x2");
        // A pool whose depth is not its circuits' would take deposits no proof could ever spend.
        _requireShape(address(_verifier2x2), _levels, _nPublic(2));
        if (address(_verifier16x2) != address(0)) _requireShape(address(_verifier16x2), _levels, _nPublic(16));
        token = _token;
        verifier2x2 = _verifier2x2;
        verifier16x2 = _verifier16x2;
        owner = msg.sender;
        maximumDepositAmount = _maximumDepositAmount;
        emit OwnershipTransferred(address(0), msg.sender);
        emit DepositLimitSet(_maximumDepositAmount);
    }

    /// @dev The verifier's generated constants (verifier/solidity.py): LEVELS, the tree depth of its
    /// circuit, must be the pool's; N_PUBLIC its shape's. A verifier without them is refused.
    function _requireShape(address verifier, uint256 _levels, uint256 nPublic) internal view {
        uint256 got = _constant(verifier, "LEVELS()");
        if (got != _levels) revert VerifierLevelsMismatch(verifier, _levels, got);
        got = _constant(verifier, "N_PUBLIC()");
        if (got != nPublic) revert VerifierShapeMismatch(verifier, nPublic, got);
    }

    /// @dev The number of public inputs of the circuit of `nIns` inputs (a derived pool's circuit may have more).
    function _nPublic(uint256 nIns) internal pure virtual returns (uint256) {
        return 4 + nIns + N_OUTS;
    }

    /// @dev A uint256 getter's value, or 0 when the call fails or returns something else.
    function _constant(address target, string memory signature) internal view returns (uint256) {
        (bool ok, bytes memory ret) = target.staticcall(abi.encodeWithSignature(signature));
        return ok && ret.length == 32 ? abi.decode(ret, (uint256)) : 0;
    }

    /// @notice keccak256(abi.encode(recipient, relayer, fee, encryptedOutputs, depositor, chainid, this))
    /// mod r, as transfer/extdata.py computes it.
    function extDataHash(ExtData calldata extData) public view returns (uint256) {
        return uint256(
            keccak256(
                abi.encode(
                    extData.recipient,
                    extData.relayer,
                    extData.fee,
                    extData.encryptedOutputs,
                    extData.depositor,
                    block.chainid,
                    address(this)
                )
            )
        ) % FIELD_SIZE;
    }

    /// @notice The one entry point: deposit, shielded transfer, withdrawal, relayer fee.
    function transact(Proof calldata proof, ExtData calldata extData) external virtual nonReentrant {
        _transact(proof, extData, new uint256[](0));
    }

    /// @dev The body of `transact`; `extraInputs` are public inputs after the transfer's own (a derived
    /// pool's circuit), passed through to `_verify`.
    function _transact(Proof calldata proof, ExtData calldata extData, uint256[] memory extraInputs) internal {
        if (!isKnownRoot(proof.root)) revert UnknownRoot(proof.root);
        uint256 nIns = proof.inputNullifiers.length;
        if (extData.encryptedOutputs.length != N_OUTS) revert UnsupportedShape(nIns, extData.encryptedOutputs.length);
        uint256 want = extDataHash(extData);
        if (proof.extDataHash != want) revert BadExtDataHash(want, proof.extDataHash);
        if (extData.fee >= MAX_AMOUNT) revert FeeOutOfRange(extData.fee);
        (uint256 deposit, uint256 withdrawal) = _decodePublicAmount(proof.publicAmount);
        // The proof names who pays a deposit, and only that account may send it; a transfer without
        // a deposit names nobody.
        if (deposit > 0 ? extData.depositor != msg.sender : extData.depositor != address(0)) {
            revert DepositorMismatch(extData.depositor, msg.sender);
        }

        // Effects first: nullifiers (a repeat inside one transfer is caught here too), then the tree.
        for (uint256 i = 0; i < nIns; i++) {
            uint256 n = proof.inputNullifiers[i];
            if (nullifierHashes[n]) revert NullifierSpent(n);
            nullifierHashes[n] = true;
        }
        if (!_verify(proof, extData.fee, extraInputs)) revert InvalidProof();
        for (uint256 i = 0; i < nIns; i++) {
            emit NewNullifier(proof.inputNullifiers[i]);
        }
        uint256 index = _insert(proof.outputCommitments[0], proof.outputCommitments[1]);
        emit NewCommitment(proof.outputCommitments[0], index, extData.encryptedOutputs[0]);
        emit NewCommitment(proof.outputCommitments[1], index + 1, extData.encryptedOutputs[1]);

        // Interactions.
        if (deposit > 0) {
            if (depositsPaused) revert DepositsArePaused();
            if (deposit > maximumDepositAmount) revert DepositTooLarge(deposit, maximumDepositAmount);
            uint256 before = token.balanceOf(address(this));
            _call(abi.encodeCall(IERC20Minimal.transferFrom, (extData.depositor, address(this), deposit)));
            // Fee-on-transfer or otherwise odd tokens must not credit more than arrived.
            if (token.balanceOf(address(this)) - before != deposit) revert TokenCallFailed();
        }
        if (withdrawal > 0) {
            if (extData.recipient == address(0)) revert ZeroAddress("recipient");
            _call(abi.encodeCall(IERC20Minimal.transfer, (extData.recipient, withdrawal)));
        }
        if (extData.fee > 0) {
            if (extData.relayer == address(0)) revert ZeroAddress("relayer");
            _call(abi.encodeCall(IERC20Minimal.transfer, (extData.relayer, extData.fee)));
        }
    }

    function _decodePublicAmount(uint256 publicAmount) internal pure returns (uint256 deposit, uint256 withdrawal) {
        if (publicAmount < MAX_AMOUNT) return (publicAmount, 0);
        if (publicAmount < FIELD_SIZE && publicAmount >= FIELD_SIZE - MAX_AMOUNT) return (0, FIELD_SIZE - publicAmount);
        revert AmountOutOfRange(publicAmount);
    }

    function _verify(Proof calldata proof, uint256 fee, uint256[] memory extraInputs)
        internal
        view
        virtual
        returns (bool)
    {
        if (extraInputs.length != 0) revert UnsupportedShape(proof.inputNullifiers.length, N_OUTS);
        uint256 nIns = proof.inputNullifiers.length;
        if (nIns == 2) {
            uint256[8] memory input;
            input[0] = proof.root;
            input[1] = proof.publicAmount;
            input[2] = fee;
            input[3] = proof.extDataHash;
            input[4] = proof.inputNullifiers[0];
            input[5] = proof.inputNullifiers[1];
            input[6] = proof.outputCommitments[0];
            input[7] = proof.outputCommitments[1];
            return verifier2x2.verifyProof(proof.a, proof.b, proof.c, input);
        }
        if (nIns == 16 && address(verifier16x2) != address(0)) {
            uint256[22] memory input;
            input[0] = proof.root;
            input[1] = proof.publicAmount;
            input[2] = fee;
            input[3] = proof.extDataHash;
            for (uint256 i = 0; i < 16; i++) {
                input[4 + i] = proof.inputNullifiers[i];
            }
            input[20] = proof.outputCommitments[0];
            input[21] = proof.outputCommitments[1];
            return verifier16x2.verifyProof(proof.a, proof.b, proof.c, input);
        }
        revert UnsupportedShape(nIns, N_OUTS);
    }

    /// @dev A token call that must not revert and must return nothing or true.
    function _call(bytes memory data) internal {
        (bool ok, bytes memory ret) = address(token).call(data);
        if (!ok || (ret.length != 0 && (ret.length != 32 || abi.decode(ret, (uint256)) != 1))) revert TokenCallFailed();
        if (ret.length == 0 && address(token).code.length == 0) revert TokenCallFailed();
    }

    // --- owner: limits only, never funds -------------------------------------------------------

    function setMaximumDepositAmount(uint256 amount) external onlyOwner {
        maximumDepositAmount = amount;
        emit DepositLimitSet(amount);
    }

    function setDepositsPaused(bool paused) external onlyOwner {
        depositsPaused = paused;
        emit DepositsPaused(paused);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress("owner");
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }
}
