# protolab: the two commands a newcomer needs are `make demo` and `make test`.

GO ?= go

.PHONY: test demo vet fmt-check unit determinism check-course check-course-deep check-mutants mutants mutation check bench browser

# The whole suite, as CI runs it: formatting, vet, every test, and the
# skeleton check (each part's learner copy builds, and its tests fail in it).
test: fmt-check vet unit determinism check-course

# The default demo: a short simulated run with faults, as a per-node timeline.
demo:
	$(GO) run ./cmd/lab demo

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt-clean (run gofmt -w):"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -count=1 -timeout 20m ./...

# Every simulated test of every lab, run as a run-twice check: the same seed
# twice gives the same trace digest, and the next seed a different one.
SIM_PKGS = $$($(GO) list -f '{{.ImportPath}} {{join .TestImports " "}}' ./... | grep ' protolab/tests' | cut -d' ' -f1)
determinism:
	$(GO) test -count=1 -timeout 20m $(SIM_PKGS) -twice

# Every part of the course: the learner's copy builds and vets, earlier parts'
# tests pass in it, and the part's own tests fail in it.
# Each part must hold on every seed: the tests that must pass run over
# CHECK_SEEDS seeds (a few for the packages whose tests cost seconds a seed).
CHECK_SEEDS ?= 20,paxos=3,chash=2,gossip=1
check-course:
	$(GO) run ./cmd/lab skeleton --check --seeds $(CHECK_SEEDS)

# The deep course check, before a release: 500 seeds for every part of every
# lab, on one core so that others can work (hours: docs/markers.md).
check-course-deep:
	GOMAXPROCS=1 $(GO) run ./cmd/lab skeleton --check --seeds 500

# Every lab's mutants (the classic bugs) must be caught by its tests. Each
# mutant's tests stop at the first failure; CI, which has just run make test,
# adds MUTANTS_FLAGS=--skip-baseline.
MUTANTS_FLAGS ?=
check-mutants:
	$(GO) run ./cmd/lab mutants --all --workers 2 $(MUTANTS_FLAGS) -- -failfast

# One lab's mutants, its tests over a few seeds: make mutants PKG=raft SEEDS=3
PKG ?= kvsrv
SEEDS ?= 1
mutants:
	$(GO) run ./cmd/lab mutants $(PKG) -- -seeds=$(SEEDS)

# Operator mutants (docs/mutation.md): make mutation PKG=raft, or PKG=all for
# every lab and the harness; SAMPLE=N runs N mutants per package, spread evenly.
SAMPLE ?= 0
mutation:
	$(GO) run ./cmd/lab mutation $(if $(filter all,$(PKG)),--all,$(PKG)) --sample $(SAMPLE)

# Everything, including the mutants: slower; run before a release.
check: test check-mutants

# The space-time viewer in headless chromium, keeping its screenshots in
# .artifacts/ (make unit runs the same tests without keeping them).
browser:
	mkdir -p .artifacts && $(GO) test -count=1 -v -run Browser ./internal/viewer -artifacts -outputdir "$(CURDIR)/.artifacts"

bench:
	$(GO) test -run '^$$' -bench . ./...

# Every fuzz target, each for FUZZTIME (CI runs the seed corpora as plain
# tests in `make unit`). -timeout 0: go test's default 10m timeout would
# stop a fuzzer that runs as long.
FUZZTIME ?= 10m
.PHONY: fuzz
fuzz:
	$(GO) test ./labgob -run '^$$' -fuzz '^FuzzRoundTrip$$' -fuzztime $(FUZZTIME) -timeout 0
	$(GO) test ./labrpc -run '^$$' -fuzz '^FuzzReadTrace$$' -fuzztime $(FUZZTIME) -timeout 0
	$(GO) test ./cmd/lab -run '^$$' -fuzz '^FuzzRunFlags$$' -fuzztime $(FUZZTIME) -timeout 0
	$(GO) test ./internal/course -run '^$$' -fuzz '^FuzzParseMutants$$' -fuzztime $(FUZZTIME) -timeout 0
