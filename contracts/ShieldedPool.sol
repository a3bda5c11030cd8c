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
    function verifyBatch(uint256[8][] calldata proofs, uint256[8][] calldata inputs) external view returns (bool);
}

interface IVerifier16x2 {
    function verifyProof(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[22] calldata input)
        external view returns (bool);
    function verifyBatch(uint256[8][] calldata proofs, uint256[22][] calldata inputs) external view returns (bool);
}

/// @title Hush shielded pool for one ERC-20: deposit, transfer, withdraw and relayer fee in one `transact`.
/// @notice A transfer proves (circuits/transfer.circom, public inputs root, publicAmount, fee,
/// extDataHash, inputNullifier[nIns], outputCommitment[2]) that
///     sum(inputs) + publicAmount == sum(outputs) + fee,
/// publicAmount > 0 is a deposit pulled from extData.depositor, who must be msg.sender (so no one
/// can make another account, a relayer's say, pay for a deposit), publicAmount < 0 (encoded r - |x|)
/// a withdrawal to extData.recipient, and fee goes to extData.relayer. The owner may cap and pause
/// deposits; nothing lets the owner move funds.
/// `transactBatch` settles N transactions at once, all or nothing: each is checked exactly as
/// `transact` checks it (the same `_check` and `_settle`), their proofs in one `verifyBatch` call per
/// circuit shape (one pairing product, see the generated verifier) and their 2N output notes in one
/// subtree insert (`_insertBatch`), so the tree gains one root.
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
    error BatchSize(uint256 proofs, uint256 extDatas);
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
        (uint256 deposit, uint256 withdrawal) = _check(proof, extData);
        if (!_verify(proof, extData.fee, extraInputs)) revert InvalidProof();
        _emitNullifiers(proof);
        uint256 index = _insert(proof.outputCommitments[0], proof.outputCommitments[1]);
        _emitCommitments(proof, extData, index);
        _settle(deposit, withdrawal, extData);
    }

    /// @notice N transactions in one call, all or nothing, each checked as `transact` checks it; a
    /// nullifier repeated across two of them reverts (NullifierSpent). Outputs of transaction i get
    /// global leaf positions first + 2i and first + 2i + 1 (first is in the NewCommitment events).
    /// A derived pool whose circuit has more public inputs overrides this to refuse it.
    function transactBatch(Proof[] calldata proofs, ExtData[] calldata extDatas) external virtual nonReentrant {
        uint256 n = proofs.length;
        if (n == 0 || extDatas.length != n) revert BatchSize(n, extDatas.length);
        uint256[] memory deposits = new uint256[](n);
        uint256[] memory withdrawals = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            (deposits[i], withdrawals[i]) = _check(proofs[i], extDatas[i]);
        }
        if (!_verifyBatch(proofs, extDatas)) revert InvalidProof();
        uint256[] memory leaves = new uint256[](2 * n);
        for (uint256 i = 0; i < n; i++) {
            _emitNullifiers(proofs[i]);
            leaves[2 * i] = proofs[i].outputCommitments[0];
            leaves[2 * i + 1] = proofs[i].outputCommitments[1];
        }
        uint256 index = _insertBatch(leaves);
        for (uint256 i = 0; i < n; i++) {
            _emitCommitments(proofs[i], extDatas[i], index + 2 * i);
        }
        for (uint256 i = 0; i < n; i++) {
            _settle(deposits[i], withdrawals[i], extDatas[i]);
        }
    }

    /// @dev Every check of one transaction but its proof, and its effects on the nullifier set (a
    /// repeat inside one transfer, or across the transfers of a batch, is caught here).
    function _check(Proof calldata proof, ExtData calldata extData)
        internal
        returns (uint256 deposit, uint256 withdrawal)
    {
        if (!isKnownRoot(proof.root)) revert UnknownRoot(proof.root);
        uint256 nIns = proof.inputNullifiers.length;
        if (extData.encryptedOutputs.length != N_OUTS) revert UnsupportedShape(nIns, extData.encryptedOutputs.length);
        if (nIns != 2 && !(nIns == 16 && address(verifier16x2) != address(0))) revert UnsupportedShape(nIns, N_OUTS);
        uint256 want = extDataHash(extData);
        if (proof.extDataHash != want) revert BadExtDataHash(want, proof.extDataHash);
        if (extData.fee >= MAX_AMOUNT) revert FeeOutOfRange(extData.fee);
        (deposit, withdrawal) = _decodePublicAmount(proof.publicAmount);
        // The proof names who pays a deposit, and only that account may send it; a transfer without
        // a deposit names nobody.
        if (deposit > 0 ? extData.depositor != msg.sender : extData.depositor != address(0)) {
            revert DepositorMismatch(extData.depositor, msg.sender);
        }
        for (uint256 i = 0; i < nIns; i++) {
            uint256 nf = proof.inputNullifiers[i];
            if (nullifierHashes[nf]) revert NullifierSpent(nf);
            nullifierHashes[nf] = true;
        }
    }

    function _emitNullifiers(Proof calldata proof) internal {
        for (uint256 i = 0; i < proof.inputNullifiers.length; i++) {
            emit NewNullifier(proof.inputNullifiers[i]);
        }
    }

    function _emitCommitments(Proof calldata proof, ExtData calldata extData, uint256 index) internal {
        emit NewCommitment(proof.outputCommitments[0], index, extData.encryptedOutputs[0]);
        emit NewCommitment(proof.outputCommitments[1], index + 1, extData.encryptedOutputs[1]);
    }

    /// @dev The interactions of one checked, verified and inserted transaction.
    function _settle(uint256 deposit, uint256 withdrawal, ExtData calldata extData) internal {
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

    /// @dev The public inputs of a 2x2 proof, in the circuit's order (root, publicAmount, fee,
    /// extDataHash, inputNullifier[2], outputCommitment[2]).
    function _inputs2x2(Proof calldata proof, uint256 fee) internal pure returns (uint256[8] memory input) {
        input[0] = proof.root;
        input[1] = proof.publicAmount;
        input[2] = fee;
        input[3] = proof.extDataHash;
        input[4] = proof.inputNullifiers[0];
        input[5] = proof.inputNullifiers[1];
        input[6] = proof.outputCommitments[0];
        input[7] = proof.outputCommitments[1];
    }

    function _inputs16x2(Proof calldata proof, uint256 fee) internal pure returns (uint256[22] memory input) {
        input[0] = proof.root;
        input[1] = proof.publicAmount;
        input[2] = fee;
        input[3] = proof.extDataHash;
        for (uint256 i = 0; i < 16; i++) {
            input[4 + i] = proof.inputNullifiers[i];
        }
        input[20] = proof.outputCommitments[0];
        input[21] = proof.outputCommitments[1];
    }

    function _verify(Proof calldata proof, uint256 fee, uint256[] memory extraInputs)
        internal
        view
        virtual
        returns (bool)
    {
        if (extraInputs.length != 0) revert UnsupportedShape(proof.inputNullifiers.length, N_OUTS);
        uint256 nIns = proof.inputNullifiers.length;
        if (nIns == 2) return verifier2x2.verifyProof(proof.a, proof.b, proof.c, _inputs2x2(proof, fee));
        if (nIns == 16 && address(verifier16x2) != address(0)) {
            return verifier16x2.verifyProof(proof.a, proof.b, proof.c, _inputs16x2(proof, fee));
        }
        revert UnsupportedShape(nIns, N_OUTS);
    }

    /// @dev (A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y): a proof as verifyBatch takes it.
    function _words(Proof calldata proof) internal pure returns (uint256[8] memory w) {
        w = [proof.a[0], proof.a[1], proof.b[0][0], proof.b[0][1], proof.b[1][0], proof.b[1][1], proof.c[0], proof.c[1]];
    }

    /// @dev Every proof of a checked batch (shapes 2x2 and 16x2 only, as _check made sure), one
    /// verifyBatch call per shape present.
    function _verifyBatch(Proof[] calldata proofs, ExtData[] calldata extDatas) internal view returns (bool) {
        uint256 n = proofs.length;
        uint256 n16 = 0;
        for (uint256 i = 0; i < n; i++) {
            if (proofs[i].inputNullifiers.length == 16) n16++;
        }
        uint256[8][] memory p2 = new uint256[8][](n - n16);
        uint256[8][] memory x2 = new uint256[8][](n - n16);
        uint256[8][] memory p16 = new uint256[8][](n16);
        uint256[22][] memory x16 = new uint256[22][](n16);
        uint256 k2 = 0;
        uint256 k16 = 0;
        for (uint256 i = 0; i < n; i++) {
            if (proofs[i].inputNullifiers.length == 16) {
                p16[k16] = _words(proofs[i]);
                x16[k16++] = _inputs16x2(proofs[i], extDatas[i].fee);
            } else {
                p2[k2] = _words(proofs[i]);
                x2[k2++] = _inputs2x2(proofs[i], extDatas[i].fee);
            }
        }
        if (k2 > 0 && !verifier2x2.verifyBatch(p2, x2)) return false;
        if (k16 > 0 && !verifier16x2.verifyBatch(p16, x16)) return false;
        return true;
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
