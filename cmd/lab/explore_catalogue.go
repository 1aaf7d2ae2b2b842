package main

import (
	"slices"
	"strings"
)

// The search catalogue: for each catalogued mutant (PKG/mutants.txt) of a
// lab that has search tests, the search test whose scenario a learner's
// copy of that bug would meet, or, for a mutant that is not a safety bug,
// why no safety search can find it and which suite test catches it. lab
// explore LAB --table reads it; it lives here, in one place, so that the
// mutants files keep only their edits. A mutant with no row is listed as
// such by the table (TestSearchCatalogueNamesRealMutants checks the rows
// against the mutants files).
type searchRow struct {
	test string // the search test (its name, TestSearch...)
	why  string // with no test: why a safety search cannot find it, and the suite test that does
}

func search(test string) searchRow { return searchRow{test: test} }

func notSafety(why string) searchRow { return searchRow{why: why} }

var searchCatalogue = map[string]map[string]searchRow{
	"kvsrv": {
		"put-ignores-version":      search("TestSearchAtMostOnce1B"),
		"version-not-bumped":       search("TestSearchAtMostOnce1B"),
		"no-errmaybe":              search("TestSearchAtMostOnce1B"),
		"retry-version-means-ok":   search("TestSearchAtMostOnce1B"),
		"create-at-any-version":    search("TestSearchAtMostOnce1B"),
		"put-gives-up":             search("TestSearchAtMostOnce1B"),
		"get-gives-up":             search("TestSearchAtMostOnce1B"),
		"lock-trusts-maybe":        notSafety("a lock mutant: the search test takes no lock (the lock tests, 1C)"),
		"lock-takes-held":          notSafety("a lock mutant: the search test takes no lock (the lock tests, 1C)"),
		"lock-release-no-wait":     notSafety("a lock mutant, and a cost: the search test takes no lock (the lock tests, 1C)"),
		"release-frees-any-holder": notSafety("a lock mutant: the search test takes no lock (the lock tests, 1C)"),
		"acquire-forgets-own-put":  notSafety("a lock mutant, liveness: the search test takes no lock (the lock tests, 1C)"),
	},
	"raft": {
		"vote-twice":                     search("TestSearchElectionSafety4A"),
		"straddling-append-acked":        notSafety("safety, out of the searches' reach: it needs an AppendEntries delayed past an InstallSnapshot from the same leader, which no search schedules (TestAppendEntriesAcrossInstalledSnapshot4D)"),
		"deposed-leader-sends-batch":     notSafety("safety, out of the searches' reach: it needs a leader deposed while a batch-window timer is set, under load (TestDeposedLeaderSendsNoBatch4F)"),
		"snapshot-reply-after-step-down": notSafety("safety, out of the searches' reach: it needs a leader deposed while its InstallSnapshot is on its way (TestDeposedLeaderSnapshotReply4D)"),
		"stale-timeout-now":              notSafety("liveness: a late TimeoutNow deposes a healthy leader, but elections stay safe (TestStaleTimeoutNow4E)"),
		"snapshot-reply-term-ignored":    notSafety("liveness: a follower of a newer term is sent only snapshots it refuses and never catches up; the leader counts the refusal as an answer, but the snapshot's index is at most its commitIndex, so nothing is committed by it (TestSnapshotRefusedByNewerTerm4D)"),
		"candidate-vote-not-saved":       search("TestSearchVoteRestart4C"),
		"reads-kept-after-step-down":     search("TestSearchReads4E"),
		"transfer-kept-after-step-down":  notSafety("liveness: a peer that handed over, leading again, refuses every command and every transfer (TestTransferThereAndBack4E)"),
		"prevote-counts-refusals":        notSafety("liveness: a follower that cannot hear its leader passes its pre-vote on refusals, raises its term and deposes the leader when it hears again (TestPreVoteDeafFollower4E)"),
		"same-term-vote-deposes-leader":  notSafety("liveness: a late RequestVote of its own term deposes the leader, and the term has no leader until an election time-out (TestLateVoteRequests4A)"),
		"count-stale-votes":              search("TestSearchSplitVote4A"),
		"up-to-date-length-only":         search("TestSearchStaleLogElection4B"),
		"prev-log-index-off-by-one":      search("TestSearchLogMatchingBounded4B"),
		"no-truncate-on-conflict":        search("TestSearchLogMatching4B"),
		"truncate-on-match":              search("TestSearchLogMatching4B"),
		"commit-to-leader-commit":        search("TestSearchStaleLogElection4B"),
		"apply-before-commit":            search("TestSearchLogMatchingBounded4B"),
		"stale-term-adopted":             search("TestSearchLogMatching4B"),
		"next-index-stays":               search("TestSearchLogMatching4B"),
		"append-without-truncate":        search("TestSearchLogMatching4B"),
		"commit-index-back":              search("TestSearchLogMatching4B"),
		"stale-reply-same-leader":        search("TestSearchLogMatching4B"),
		"commit-old-term":                search("TestSearchFigure8Partitions4B"),
		"no-persist-voted-for":           search("TestSearchVoteRestart4C"),
		"no-persist-log":                 search("TestSearchCrashRestart4C"),

		"snapshot-index-back-on-restart": search("TestSearchSnapshots4D"),
		"persist-drops-snapshot":         search("TestSearchSnapshots4D"),
		"persist-keeps-cut-entries":      search("TestSearchSnapshots4D"),
		"records-across-compaction":      search("TestSearchSnapshots4D"),
		"restored-snapshot-not-kept":     search("TestSearchSnapshots4D"),
		"install-discards-suffix":        search("TestSearchSnapshots4D"),
		"install-old-snapshot":           search("TestSearchSnapshots4D"),

		"read-without-confirmation":     search("TestSearchReads4E"),
		"read-before-own-term-commit":   search("TestSearchReads4E"),
		"read-confirmed-by-old-answers": search("TestSearchReads4E"),

		"no-reset-on-grant":                 notSafety("liveness: elections split again and again, but never two leaders in a term (TestVoteRules4A)"),
		"leader-ignores-reply-term":         notSafety("liveness: the deposed leader goes on sending, but a majority refuses its entries (TestLeaderStepsDownOnReply4A)"),
		"backup-one-entry":                  notSafety("cost: a lagging follower catches up one entry per round trip (TestBackup4B)"),
		"no-batch-window":                   notSafety("cost: 8 messages a commit (TestBatchedAgreementEfficiency4F)"),
		"replicate-at-heartbeat":            notSafety("cost: a lone command waits for the next heartbeat (TestBatchedAgreementEfficiency4F)"),
		"new-leader-next-index-one":         notSafety("cost: each election sends the whole log again (TestReElectionOverLongLogCost4B)"),
		"conflict-reply-says-nothing":       notSafety("cost: the leader sends the whole log again after a conflict (TestCatchUpAfterConflictCost4B)"),
		"read-round-per-read":               notSafety("cost: ten concurrent reads cost ten rounds (TestReplogReadIndexBatching4E)"),
		"no-leader-lease":                   notSafety("liveness: a rejoining peer disrupts a healthy leader (TestLeaderLease4E, TestPreVoteRejoin4E)"),
		"no-check-quorum":                   notSafety("liveness: a leader cut off keeps its role but commits nothing (TestCheckQuorum4E)"),
		"transfer-without-catch-up":         notSafety("liveness: the target, behind, cannot win the election TimeoutNow starts, as voters refuse a log less up to date than theirs (§5.4.1); the transfer fails (TestLeadershipTransfer4E)"),
		"prevote-raises-term":               notSafety("liveness: terms rise on pre-votes, elections are disrupted (nearly every 4E test)"),
		"timeout-now-once":                  notSafety("liveness: a transfer whose TimeoutNow is lost is abandoned, and the leader stays (TestLeadershipTransferLostTimeoutNow4E)"),
		"prevote-grant-after-leader-heard":  notSafety("liveness: a needless election deposes a healthy leader, but elections stay safe (TestPreVoteGrantAfterLeaderHeard4E)"),
		"snapshot-reply-same-term-deposes":  notSafety("liveness: every InstallSnapshot answered costs an election (TestSnapshotInstallKeepsLeader4D)"),
		"snapshot-past-applied":             notSafety("a safety bug, but only on an input the harness's service never gives: it snapshots only what it applied (TestSnapshotOutOfRangeIgnored4D)"),
		"replicate-after-deposed":           notSafety("out of the searches' reach: it needs a leader deposed in the same instant as a Start, which no search schedules (TestStartThenDeposedAtOnce4F)"),
		"second-transfer-begins":            notSafety("the transfer interface, not safety: the searches begin no transfer (TestTransferLeadershipRefusals4E)"),
		"transfer-timer-checks-target-only": notSafety("liveness: a later transfer is abandoned early (TestTransferTimeoutOfAnEarlierTerm4E)"),
	},
	"paxos": {
		"accept-below-promise":          search("TestSearchAgreement5A"),
		"refusal-counted-as-acceptance": search("TestSearchAgreement5A"),
		"shared-ballots":                search("TestSearchAgreement5A"),
		"round-only-order":              search("TestSearchAgreement5A"),
		"minority-quorum":               search("TestSearchAgreementFour5A"),
		"ignore-accepted-value":         search("TestSearchAgreement5A"),
		"first-accepted-not-highest":    search("TestSearchDuel5A"),
		"old-ballot-promise-counted":    search("TestSearchDuel5A"),
		"promise-not-persisted":         search("TestSearchRestartMidRound5A"),
		"accepted-not-persisted":        search("TestSearchRestartMidRound5A"),

		"leader-ignores-reported-values": search("TestSearchLogAgreement5B"),
		"adopt-lowest-ballot":            search("TestSearchTwoBallotsOneSlot5B"),
		"leader-forgets-higher-slots":    search("TestSearchLogAgreement5B"),
		"accept-below-promise-5b":        search("TestSearchLogAgreement5B"),
		"learn-without-ballot-match":     search("TestSearchLogAgreement5B"),
		"majority-of-one-5b":             search("TestSearchLogAgreement5B"),
		"promise-not-persisted-5b":       search("TestSearchLogAgreement5B"),
		"accepted-not-persisted-5b":      search("TestSearchLogAgreement5B"),
		"old-campaign-promise-counted":   search("TestSearchCampaigns5B"),
		"refusal-counted-as-promise":     search("TestSearchCampaigns5B"),
		"stale-accept-reply-counted":     search("TestSearchLogAgreement5B"),
		"start-not-persisted":            search("TestSearchLogAgreement5B"),
		"adopted-values-not-saved":       search("TestSearchLogAgreement5B"),
		"heartbeat-outlives-reign":       search("TestSearchCampaigns5B"),

		"promise-without-snapshot-at-from":  search("TestSearchSnapshots5B"),
		"snapshot-not-applied":              search("TestSearchSnapshots5B"),
		"snapshot-at-slot-one-not-restored": search("TestSearchSnapshots5B"),

		"read-without-confirmation":     search("TestSearchReads6B"),
		"read-confirmed-by-old-answers": search("TestSearchReads6B"),
		"read-at-commit-index":          search("TestSearchReads6B"),
		"deposed-reads-kept":            search("TestSearchReads6B"),

		"leader-never-steps-down":           notSafety("liveness: the deposed leader's Accepts are refused, so it commits nothing while it believes it leads (TestStaleLeaderStepsDown5B)"),
		"deposed-leader-keeps-leading":      notSafety("liveness: it tells clients it leads but can choose nothing, as its acceptors promised the higher ballot (TestDeposedLeaderSaysSo5B)"),
		"no-announce":                       notSafety("liveness: the others never learn the value, but none learns another (TestBasic5A, TestDeaf5A)"),
		"no-noop-fill":                      notSafety("liveness: a hole is never proposed, so the slots after it wait forever to be applied; nothing wrong is chosen (TestHoleFilledWithNoop5B)"),
		"lone-peer-never-commits":           notSafety("liveness: a group of one never chooses (TestSinglePeerCommits5B)"),
		"lone-peer-applies-inside-start":    notSafety("the contract's order, not agreement: a group of one applies inside Start, before its caller waits for the slot (TestGroupOfOne5B)"),
		"log-not-cut-at-snapshot":           notSafety("cost: the log is kept whole, memory grows (TestReplogSnapshots5B)"),
		"read-round-per-read":               notSafety("cost: ten concurrent reads cost ten rounds (TestReplogReadIndexBatching6B)"),
		"late-snapshot-not-ignored":         notSafety("a safety bug, but only on an input the harness's service never gives: it snapshots at once as it applies, never late (TestLateSnapshotIgnored5B)"),
		"forgotten-resurrected":             notSafety("the forgetting interface (Done/Min), not agreement (TestForget5A, TestDoneMaxRestart5A)"),
		"min-is-own-done":                   notSafety("the forgetting interface (Done/Min), not agreement (TestForget5A)"),
		"done-not-max":                      notSafety("the forgetting interface (Done/Min), not agreement (TestLateDoneDoesNotLowerMin5A)"),
		"decisions-lost-in-restart":         notSafety("the peer's own Status after a restart, not agreement: it learns the value again (TestDoneMaxRestart5A)"),
		"dones-lost-in-restart":             notSafety("the forgetting interface (Done/Min), not agreement (TestDoneMaxRestart5A)"),
		"lone-leader-skips-last-adopted":    notSafety("liveness: a group of one restarted between Start and the event that chooses the slot never chooses it, and the log stops there (TestGroupOfOneRestartsMidCommand5B)"),
		"learn-reply-without-done":          notSafety("the forgetting interface (Done/Min), not agreement: an empty Learn reply reads as Done(0) (TestLearnReplyCarriesDone5A)"),
		"retry-after-forgotten":             notSafety("a crash on the forgetting path (a retry after its instance is forgotten), not agreement (TestRetryAfterForgotten5A)"),
		"learn-reports-twice":               notSafety("the learner's report, not agreement: the same value is reported decided twice (TestDuplicateAndLateLearn5A)"),
		"read-expires-after-timeout":        notSafety("liveness: a lone read at a cut-off leader is never answered, so never answered wrong (TestLoneReadTimesOut6B)"),
		"lost-prepare-reply-read-as-done":   notSafety("the forgetting interface (Done/Min), not agreement: a lost Prepare reply reads as Done(0) (TestLostRepliesCarryNoDone5A)"),
		"done-does-not-raise-max":           notSafety("the forgetting interface (Max), not agreement (TestMaxCountsDoneValues5A)"),
		"heard-dones-not-saved":             notSafety("the forgetting interface (Min goes back after a restart), not agreement (TestMinSurvivesRestart5A)"),
		"prepare-on-forgotten-instance":     notSafety("a crash on the forgetting path (a Prepare for a forgotten instance), not agreement (TestProposerOnForgottenInstance5A)"),
		"read-leader-not-counted":           notSafety("liveness: with a follower down no read is answered, so none is answered wrong (TestReadWithFollowerDown6B)"),
		"snapshot-reply-own-ballot-deposes": notSafety("liveness: every snapshot a follower accepts costs an election (TestSnapshotInstallKeepsLeader5B)"),
	},
}

// catalogueLabs lists the labs the catalogue covers.
func catalogueLabs() string {
	var labs []string
	for l := range searchCatalogue {
		labs = append(labs, l)
	}
	slices.Sort(labs)
	return strings.Join(labs, ", ")
}
