// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "./ShieldedPool.sol";
import "./CompliancePolicy.sol";

interface IVerifierCompliant2x2 {
    function verifyProof(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[35] calldata input)
        external view returns (bool);
}

interface IVerifierCompliant16x2 {
    function verifyProof(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[49] calldata input)
        external view returns (bool);
}

/// @title A ShieldedPool whose every transfer is proven compliant (circuits/compliant_transfer.circom).
/// @notice `transactCompliant` takes the transfer's proof and external data as `transact` does, plus
/// the compliance public inputs the prover chose (identity root, epoch, epoch nullifier, exit account,
/// auditor key, ephemeral key, ciphertext); the pool checks them against its policy (a known identity
/// root, the current epoch, the policy's auditor key, an unseen epoch nullifier, an exit going to the
/// registered account) and adds the policy's own values (epoch start, tier caps, blocked
/// jurisdictions, K) before verifying. Plain `transact` is refused. The ciphertext is emitted for the
/// auditor; the public learns from it nothing.
contract CompliantPool is ShieldedPool {
    uint256 public constant CIPHER_LENGTH = 10; // PoseidonEncrypt of 2 * nOuts + 4 = 8 elements
    uint256 private constant N_TRANSFER_2x2 = 8;
    uint256 private constant N_TRANSFER_16x2 = 22;
    uint256 private constant N_COMPLIANCE = 27; // 3 + tiers 3 + blocked 4 + 3 + 4 + CIPHER_LENGTH

    struct Compliance {
        uint256 identityRoot;
        uint256 epoch;
        uint256 epochNullifier;
        uint256 exitAccount;
        uint256[2] auditorPubKey;
        uint256[2] ephemeralPubKey;
        uint256[CIPHER_LENGTH] auditCiphertext;
    }

    CompliancePolicy public immutable policy;
    IVerifierCompliant2x2 public immutable compliantVerifier2x2;
    IVerifierCompliant16x2 public immutable compliantVerifier16x2;
    mapping(uint256 => bool) public epochNullifiers;

    /// @notice What the auditor decrypts (transfer/poseidon_cipher.py); indexed by nothing private.
    event AuditRecord(uint256 epochNullifier, uint256[2] ephemeralPubKey, uint256[CIPHER_LENGTH] auditCiphertext);
    event Exit(address indexed account, uint256 amount);

    error PlainTransferRefused();
    error UnknownIdentityRoot(uint256 root);
    error EpochMismatch(uint256 expected, uint256 got);
    error AuditorKeyMismatch();
    error EpochNullifierUsed(uint256 epochNullifier);
    error ExitRecipientMismatch(uint256 account, address recipient);

    constructor(
        uint32 _levels,
        IHasher _hasher,
        IERC20Minimal _token,
        IVerifierCompliant2x2 _verifier2x2,
        IVerifierCompliant16x2 _verifier16x2,
        uint256 _maximumDepositAmount,
        CompliancePolicy _policy
    )
        ShieldedPool(
            _levels,
            _hasher,
            _token,
            IVerifier2x2(address(_verifier2x2)),
            IVerifier16x2(address(_verifier16x2)),
            _maximumDepositAmount
        )
    {
        if (address(_policy) == address(0)) revert ZeroAddress("policy");
        policy = _policy;
        compliantVerifier2x2 = _verifier2x2;
        compliantVerifier16x2 = _verifier16x2;
    }

    function _nPublic(uint256 nIns) internal pure override returns (uint256) {
        return 4 + nIns + N_OUTS + N_COMPLIANCE;
    }

    /// @notice Refused: every transfer of this pool is a compliant one.
    function transact(Proof calldata, ExtData calldata) external pure override {
        revert PlainTransferRefused();
    }

    /// @notice Refused: a batch of plain transfers would skip every compliance check.
    function transactBatch(Proof[] calldata, ExtData[] calldata) external pure override {
        revert PlainTransferRefused();
    }

    function transactCompliant(Proof calldata proof, ExtData calldata extData, Compliance calldata c)
        external
        nonReentrant
    {
        CompliancePolicy p = policy;
        if (!p.isKnownIdentityRoot(c.identityRoot)) revert UnknownIdentityRoot(c.identityRoot);
        (uint256 epoch, uint256 epochStart) = p.currentEpoch();
        if (c.epoch != epoch) revert EpochMismatch(epoch, c.epoch);
        uint256[2] memory key = p.auditorKey();
        if (c.auditorPubKey[0] != key[0] || c.auditorPubKey[1] != key[1]) revert AuditorKeyMismatch();
        if (epochNullifiers[c.epochNullifier]) revert EpochNullifierUsed(c.epochNullifier);
        epochNullifiers[c.epochNullifier] = true;
        if (c.exitAccount != 0) {
            // the circuit proved: no output note; the whole value leaves to the registered account
            if (c.exitAccount >= (1 << 160) || extData.recipient != address(uint160(c.exitAccount))) {
                revert ExitRecipientMismatch(c.exitAccount, extData.recipient);
            }
        }

        uint256[] memory extra = new uint256[](N_COMPLIANCE);
        uint256[3] memory caps = p.tierCaps();
        uint256[4] memory blocked = p.blockedJurisdictions();
        extra[0] = c.identityRoot;
        extra[1] = c.epoch;
        extra[2] = epochStart;
        for (uint256 t = 0; t < 3; t++) {
            extra[3 + t] = caps[t];
        }
        for (uint256 b = 0; b < 4; b++) {
            extra[6 + b] = blocked[b];
        }
        extra[10] = p.maxSlots();
        extra[11] = c.epochNullifier;
        extra[12] = c.exitAccount;
        extra[13] = key[0];
        extra[14] = key[1];
        extra[15] = c.ephemeralPubKey[0];
        extra[16] = c.ephemeralPubKey[1];
        for (uint256 k = 0; k < CIPHER_LENGTH; k++) {
            extra[17 + k] = c.auditCiphertext[k];
        }
        _transact(proof, extData, extra);
        emit AuditRecord(c.epochNullifier, c.ephemeralPubKey, c.auditCiphertext);
        if (c.exitAccount != 0) {
            (, uint256 withdrawal) = _decodePublicAmount(proof.publicAmount);
            emit Exit(address(uint160(c.exitAccount)), withdrawal);
        }
    }

    function _verify(Proof calldata proof, uint256 fee, uint256[] memory extra)
        internal
        view
        override
        returns (bool)
    {
        if (extra.length != N_COMPLIANCE) revert UnsupportedShape(proof.inputNullifiers.length, N_OUTS);
        uint256 nIns = proof.inputNullifiers.length;
        if (nIns == 2) {
            uint256[35] memory input;
            _fill(input, proof, fee, extra);
            return compliantVerifier2x2.verifyProof(proof.a, proof.b, proof.c, input);
        }
        if (nIns == 16 && address(compliantVerifier16x2) != address(0)) {
            uint256[49] memory input;
            _fill(input, proof, fee, extra);
            return compliantVerifier16x2.verifyProof(proof.a, proof.b, proof.c, input);
        }
        revert UnsupportedShape(nIns, N_OUTS);
    }

    /// @dev root, publicAmount, fee, extDataHash, nullifiers, commitments, then the compliance inputs.
    function _fill(uint256[35] memory input, Proof calldata proof, uint256 fee, uint256[] memory extra) private pure {
        uint256 n = proof.inputNullifiers.length;
        input[0] = proof.root;
        input[1] = proof.publicAmount;
        input[2] = fee;
        input[3] = proof.extDataHash;
        for (uint256 i = 0; i < n; i++) {
            input[4 + i] = proof.inputNullifiers[i];
        }
        input[4 + n] = proof.outputCommitments[0];
        input[5 + n] = proof.outputCommitments[1];
        for (uint256 k = 0; k < extra.length; k++) {
            input[6 + n + k] = extra[k];
        }
    }

    function _fill(uint256[49] memory input, Proof calldata proof, uint256 fee, uint256[] memory extra) private pure {
        uint256 n = proof.inputNullifiers.length;
        input[0] = proof.root;
        input[1] = proof.publicAmount;
        input[2] = fee;
        input[3] = proof.extDataHash;
        for (uint256 i = 0; i < n; i++) {
            input[4 + i] = proof.inputNullifiers[i];
        }
        input[4 + n] = proof.outputCommitments[0];
        input[5 + n] = proof.outputCommitments[1];
        for (uint256 k = 0; k < extra.length; k++) {
            input[6 + n + k] = extra[k];
        }
    }
}
