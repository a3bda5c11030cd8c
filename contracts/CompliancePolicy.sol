// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title One jurisdiction's compliance policy for Hush's compliant pools (issue 13).
/// @notice The public inputs a CompliantPool takes for every compliant transfer, under the issuer's
/// role: the recent roots of the issuer's identity tree (leaves Poseidon(owner, tier, jurisdiction,
/// expiry, account), see transfer/identity.py), the cap of each tier, the auditor's Baby Jubjub key,
/// the epoch length, K = transfers per identity per epoch, and the blocked jurisdictions. Changing any
/// of them needs no new circuit or key: the next proof takes the new values as public inputs.
contract CompliancePolicy {
    uint256 public constant FIELD_SIZE = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 public constant N_TIERS = 3;
    uint256 public constant N_BLOCKED = 4;
    uint256 public constant ROOT_HISTORY_SIZE = 16;
    uint256 public constant MAX_CAP = (1 << 125) - 1; // circuits/compliant_transfer.circom CAP_BITS
    uint256 public constant MAX_SLOTS = 255; // SLOT_BITS = 8
    uint256 public constant MAX_TIME = 1 << 40; // TIME_BITS
    // Baby Jubjub: a x^2 + y^2 = 1 + d x^2 y^2
    uint256 private constant BJJ_A = 168700;
    uint256 private constant BJJ_D = 168696;

    address public issuer;
    /// @notice Publication number of each root (its latest publication); roots are numbered from 1.
    mapping(uint256 => uint64) public rootSequence;
    uint64 public rootCount;
    /// @notice Roots published before this number are no longer accepted (a revocation).
    uint64 public validFrom;
    uint256 private _lastRoot;
    uint256[N_TIERS] private _tierCaps;
    uint256[N_BLOCKED] private _blocked;
    uint256[2] private _auditorKey;
    uint64 public epochLength;
    uint8 public maxSlots;

    event IdentityRootPublished(uint256 root, bool invalidatePrevious);
    event TierCapsSet(uint256[N_TIERS] caps);
    event BlockedJurisdictionsSet(uint256[N_BLOCKED] blocked);
    event AuditorKeySet(uint256[2] key);
    event EpochSet(uint64 epochLength, uint8 maxSlots);
    event IssuerTransferred(address indexed previousIssuer, address indexed newIssuer);

    error NotIssuer();
    error ZeroAddress();
    error BadRoot(uint256 root);
    error CapOutOfRange(uint256 tier, uint256 cap);
    error BadJurisdiction(uint256 jurisdiction);
    error BadAuditorKey(uint256 x, uint256 y);
    error BadEpoch(uint64 epochLength, uint8 maxSlots);

    modifier onlyIssuer() {
        if (msg.sender != issuer) revert NotIssuer();
        _;
    }

    constructor(
        uint256 identityRoot,
        uint256[N_TIERS] memory caps,
        uint256[N_BLOCKED] memory blocked,
        uint256[2] memory auditorKey,
        uint64 _epochLength,
        uint8 _maxSlots
    ) {
        issuer = msg.sender;
        emit IssuerTransferred(address(0), msg.sender);
        _publish(identityRoot, false);
        _setTierCaps(caps);
        _setBlocked(blocked);
        _setAuditorKey(auditorKey);
        _setEpoch(_epochLength, _maxSlots);
    }

    // --- reads (what a CompliantPool and a wallet use) --------------------------------------------

    /// @notice A root among the last ROOT_HISTORY_SIZE published since the last invalidation.
    function isKnownIdentityRoot(uint256 root) public view returns (bool) {
        uint64 seq = rootSequence[root];
        return seq != 0 && seq >= validFrom && seq + ROOT_HISTORY_SIZE > rootCount;
    }

    function lastIdentityRoot() external view returns (uint256) {
        return _lastRoot;
    }

    /// @notice The current epoch and the unix time it started at.
    function currentEpoch() public view returns (uint256 epoch, uint256 epochStart) {
        epoch = block.timestamp / epochLength;
        epochStart = epoch * epochLength;
    }

    function tierCaps() external view returns (uint256[N_TIERS] memory) {
        return _tierCaps;
    }

    function blockedJurisdictions() external view returns (uint256[N_BLOCKED] memory) {
        return _blocked;
    }

    function auditorKey() external view returns (uint256[2] memory) {
        return _auditorKey;
    }

    // --- the issuer ----------------------------------------------------------------------------------

    /// @notice Publish a new identity root. With invalidatePrevious (a revocation), every earlier root
    /// stops being accepted at once; otherwise they stay valid for the history window.
    function publishIdentityRoot(uint256 root, bool invalidatePrevious) external onlyIssuer {
        _publish(root, invalidatePrevious);
    }

    function setTierCaps(uint256[N_TIERS] calldata caps) external onlyIssuer {
        _setTierCaps(caps);
    }

    function setBlockedJurisdictions(uint256[N_BLOCKED] calldata blocked) external onlyIssuer {
        _setBlocked(blocked);
    }

    function setAuditorKey(uint256[2] calldata key) external onlyIssuer {
        _setAuditorKey(key);
    }

    function setEpoch(uint64 _epochLength, uint8 _maxSlots) external onlyIssuer {
        _setEpoch(_epochLength, _maxSlots);
    }

    function transferIssuer(address newIssuer) external onlyIssuer {
        if (newIssuer == address(0)) revert ZeroAddress();
        emit IssuerTransferred(issuer, newIssuer);
        issuer = newIssuer;
    }

    function _publish(uint256 root, bool invalidatePrevious) internal {
        if (root == 0 || root >= FIELD_SIZE) revert BadRoot(root);
        uint64 seq = rootCount + 1;
        rootCount = seq;
        rootSequence[root] = seq;
        if (invalidatePrevious) validFrom = seq;
        _lastRoot = root;
        emit IdentityRootPublished(root, invalidatePrevious);
    }

    function _setTierCaps(uint256[N_TIERS] memory caps) internal {
        for (uint256 t = 0; t < N_TIERS; t++) {
            if (caps[t] > MAX_CAP) revert CapOutOfRange(t + 1, caps[t]);
        }
        _tierCaps = caps;
        emit TierCapsSet(caps);
    }

    function _setBlocked(uint256[N_BLOCKED] memory blocked) internal {
        for (uint256 b = 0; b < N_BLOCKED; b++) {
            if (blocked[b] >= FIELD_SIZE) revert BadJurisdiction(blocked[b]);
        }
        _blocked = blocked;
        emit BlockedJurisdictionsSet(blocked);
    }

    function _setAuditorKey(uint256[2] memory key) internal {
        uint256 x = key[0];
        uint256 y = key[1];
        if (x >= FIELD_SIZE || y >= FIELD_SIZE || x == 0) revert BadAuditorKey(x, y);
        uint256 x2 = mulmod(x, x, FIELD_SIZE);
        uint256 y2 = mulmod(y, y, FIELD_SIZE);
        uint256 lhs = addmod(mulmod(BJJ_A, x2, FIELD_SIZE), y2, FIELD_SIZE);
        uint256 rhs = addmod(1, mulmod(BJJ_D, mulmod(x2, y2, FIELD_SIZE), FIELD_SIZE), FIELD_SIZE);
        if (lhs != rhs) revert BadAuditorKey(x, y);
        _auditorKey = key;
        emit AuditorKeySet(key);
    }

    function _setEpoch(uint64 _epochLength, uint8 _maxSlots) internal {
        if (_epochLength == 0 || _epochLength > MAX_TIME || _maxSlots == 0) revert BadEpoch(_epochLength, _maxSlots);
        epochLength = _epochLength;
        maxSlots = _maxSlots;
        emit EpochSet(_epochLength, _maxSlots);
    }
}
