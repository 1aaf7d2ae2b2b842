// Package replog is the replicated-log suite: one set of scenarios that runs
// on any engine meeting the contract of protolab/replog, so that lab 4's Raft
// and lab 5B's Multi-Paxos are held to one contract. Two engines, one
// contract.
//
// An engine package exports its Engine once, and its tests run the
// scenarios on it:
//
//	func TestReplogBasicAgreement5B(t *testing.T) { replog.TestBasicAgreement(t, paxos.Engine) }
//
// Every scenario runs the engine's peers under the cluster harness, whose
// checker (replog.Checker) checks the contract's invariants after every
// event: election safety, one command per index, each index applied once and
// in order, snapshots that hold what was committed. The scenarios (basic
// agreement, leader failure, partitions, concurrent starts, crash and
// restart, unreliable churn, snapshots) are the exported Test functions of
// this package.
package replog
