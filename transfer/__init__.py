"""The Python twin of the transfer circuit (circuits/transfer.circom), for the wallet SDK, the service
and tests: no node, no compiled circuit needed.

    poseidon    circomlib's Poseidon (constants re-derived), PoseidonMany
    babyjub     Baby Jubjub arithmetic          eddsa      EdDSA-Poseidon sign / verify
    keys        seed -> spending key, nk, viewing key, address
    notes       Note, commitment, nullifier     merkle     the Poseidon note tree
    extdata     ExtData and extDataHash         inputs     the strict circuit-input builder
    constants   AMOUNT_BITS, DEFAULT_LEVELS, circuit shapes
    example     example_transfer(): a deterministic valid transfer
"""
