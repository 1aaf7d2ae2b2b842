package replog

// The read scenarios' liars (readindex.go): a read through the log, and a
// stale read served when confirmation fails.
func init() {
	// The churn meets a stale read on some seeds only (this liar is caught
	// on seeds 1, 4, 7, 8 and 9 of the first eleven), so its self-test
	// runs seed 1 whatever -seed says.
	pinnedSeed["ReadIndexChurn/serves-unconfirmed-reads"] = "1"
	liarCases = append(liarCases,
		liarCase{"ReadIndexBasic/a-read-writes-late", TestReadIndexBasic,
			func() *liar { return &liar{readWrites: true} },
			[]string{"a read through ReadIndex writes nothing to the log"}},
		liarCase{"ReadIndexDeposedLeader/serves-unconfirmed-reads", TestReadIndexDeposedLeader,
			func() *liar { return &liar{readFallback: true} },
			[]string{"the read misses a completed write"}},
		liarCase{"ReadIndexBatching/refuses-every-read", TestReadIndexBatching,
			func() *liar { return &liar{readsRefused: true} },
			[]string{"no leader served a read in 5 tries"}},
		liarCase{"ReadIndexChurn/serves-unconfirmed-reads", TestReadIndexChurn,
			func() *liar { return &liar{readFallback: true} },
			[]string{"the read misses a completed write"}},
		liarCase{"ReadIndexBasic/done-twice", TestReadIndexBasic,
			func() *liar { return &liar{readTwice: true} },
			[]string{"called a read's done twice"}},
		liarCase{"ReadIndexBatching/staggered-reads-cost-more", TestReadIndexBatching,
			func() *liar { return &liar{readCostly: true} },
			[]string{"reads begun 1ms apart cost"}},
		liarCase{"ReadIndexBatching/a-read-after-a-quiet-spell-costs-three-rounds", TestReadIndexBatching,
			func() *liar { return &liar{readCold: 12} },
			[]string{"one read cost"}},
		liarCase{"ReadIndexBatching/serves-only-the-first-read", TestReadIndexBatching,
			func() *liar { return &liar{readsServed: 1} },
			[]string{"was not served within"}},
		liarCase{"ReadIndexBatching/a-read-after-a-quiet-spell-costs-three-more-RPCs", TestReadIndexBatching,
			func() *liar { return &liar{readCold: 3} },
			[]string{"one read cost"}},
		liarCase{"ReadIndexSameSeedSameRun/state-outside-the-world", TestReadIndexSameSeedSameRun,
			func() *liar { return &liar{leaky: true} },
			[]string{"not deterministic"}},
	)
}
