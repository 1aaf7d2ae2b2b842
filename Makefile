# protolab: the two commands a newcomer needs are `make demo` and `make test`.

GO ?= go

.PHONY: test demo vet fmt-check unit determinism check-course check-course-quick check-docs check-docs-quick check-course-deep check-mutants mutants mutation check bench browser

# The whole suite, in under five minutes on two cores: formatting, vet, every
# test once (the labs' simulated tests as a run-twice determinism check), and
# the docs' citations. CI then checks the course (check-course: each part's
# learner copy builds, earlier parts pass in it over seeds, its own tests
# fail; whole learner copies and grading), reruns the docs' sample outputs
# (check-docs) and runs every lab's mutants (check-mutants); make check runs
# all of it. (The course check on one seed alone: make check-course-quick.)
test: fmt-check vet unit determinism check-docs-quick

# The default demo: a short simulated run with faults, as a per-node timeline.
demo:
	$(GO) run ./cmd/lab demo

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt-clean (run gofmt -w):"; echo "$$out"; exit 1; fi

# The labs' packages (those whose tests import the harness, apart from the
# tool and the viewer) run in `determinism`; `unit` runs every other package.
# Every test thus runs once, and each lab's simulated test twice.
SIM_PKGS = $$($(GO) list -f '{{.ImportPath}} {{join .TestImports " "}}' ./... | grep ' protolab/tests' | cut -d' ' -f1 | grep -v -e '^protolab/cmd/' -e '^protolab/internal/')
OTHER_PKGS = $$($(GO) list ./... | grep -v -x -F "$$(echo $(SIM_PKGS) protolab/internal/docscheck protolab/internal/course | tr ' ' '\n')")
# internal/course's tests that build and test whole learner copies (a minute
# and more) run in check-course, with the course check itself.
unit:
	$(GO) test -count=1 -timeout 20m $(OTHER_PKGS)
	$(GO) test -count=1 -short ./internal/course

# Every test of every lab, each simulated one as a run-twice check: the same
# seed twice gives the same trace digest, and the next seed a different one.
determinism:
	$(GO) test -count=1 -timeout 20m $(SIM_PKGS) -twice

# Every part of the course: the learner's copy builds and vets, earlier parts'
# tests pass in it, and the part's own tests fail in it.
# Each part must hold on every seed: the tests that must pass run over
# CHECK_SEEDS seeds (a few for the packages whose tests cost seconds a seed).
CHECK_SEEDS ?= 20,paxos=3,chash=2,chash/balance=5,gossip=1,services/rsm=5,services/kv=5,services/lock=3,services/election=3,shardkv/ctrler=5,shardkv/group=3
check-course:
	$(GO) test -count=1 -timeout 20m ./internal/course
	$(GO) run ./cmd/lab skeleton --check --workers 2 --seeds $(CHECK_SEEDS)

# The same check on one seed.
check-course-quick:
	$(GO) run ./cmd/lab skeleton --check --workers 2 --seeds 1

# The deep course check, before a release: 500 seeds for every part of every
# lab, on one core so that others can work (hours: docs/markers.md).
check-course-deep:
	GOMAXPROCS=1 $(GO) run ./cmd/lab skeleton --check --seeds 500

# Every lab's mutants (the classic bugs) must be caught by its tests. Each
# mutant's tests stop at the first failure; CI, which has just run make test,
# adds MUTANTS_FLAGS=--skip-baseline. The schedule searches (TestSearch*,
# docs/explore.md) are left out here: every catalogued mutant is caught
# without them, and they would add minutes to the run. go test's vet is off
# (-vet=off): make test vets the tree, no catalogued mutant is caught by vet
# alone, and it is a tenth of each mutant's CPU.
MUTANTS_FLAGS ?=
check-mutants:
	$(GO) run ./cmd/lab mutants --all --workers 2 $(MUTANTS_FLAGS) -- -failfast -vet=off -skip '^TestSearch'

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

# The search table (issue 18, docs/explore.md): every catalogued raft and
# paxos mutant under random testing, PCT and bounded search, up to RUNS
# schedules a cell (10,000: about 40 and 35 CPU-minutes, one core each).
RUNS ?= 10000
.PHONY: explore-table
explore-table:
	$(GO) run ./cmd/lab explore raft --table --runs $(RUNS) --out explore-raft.md
	$(GO) run ./cmd/lab explore paxos --table --runs $(RUNS) --out explore-paxos.md

# The live test (issue 17, docs/live.md): lab 6's key/value store on three
# real processes per engine, a partition and a SIGKILL-and-restart, checked
# by porcupine and the replicated-log checker; every process it started is
# gone afterwards (about 30 s on a loaded machine).
.PHONY: live
live:
	$(GO) test -count=1 -timeout 5m -run Live ./cmd/lab -live -v

# Everything CI runs: the suite, the course over more seeds, and the mutants.
check: test check-course check-docs check-mutants

# The space-time viewer in headless chromium, keeping its screenshots in
# .artifacts/ (make unit runs the same tests without keeping them).
browser:
	mkdir -p .artifacts && $(GO) test -count=1 -v -run Browser ./internal/viewer -artifacts -outputdir "$(CURDIR)/.artifacts"

bench:
	$(GO) test -run '^$$' -bench . ./...

# The scale benchmarks (issue 14), each run once: what a simulated second
# costs the machine as worlds grow (docs/simulator.md has the table).
.PHONY: scale
scale:
	$(GO) test -p 1 -run '^$$' -bench Scale -benchtime 1x -timeout 30m ./...

# chash side by side with groupcache, buraksezer/consistent, jump and
# rendezvous libraries (issue 14): a module of its own under compare/, so
# the main module's dependencies stay three. Prints ratios library/chash;
# the table is in docs/lab2-chash.md.
.PHONY: compare
compare:
	cd compare && $(GO) run .

# The docs' sample outputs rewritten from real runs: each region between
# <!-- docs:output GENERATOR ARGS --> and <!-- docs:end --> in README.md and
# docs/*.md (docs/markers.md). go test ./internal/docscheck fails while a
# committed doc differs from what this writes. Every region takes about ten
# minutes on a loaded two-core machine; DOCS_FLAGS=-skip-slow leaves the
# minutes-long ones (sh-slow) as they are, and DOCS_FLAGS=docs/lab4-raft.md
# rewrites one doc.
DOCS_FLAGS ?=
.PHONY: docs
docs:
	$(GO) run ./internal/docscheck/gendocs $(DOCS_FLAGS)

# The docs check: check-docs-quick (in make test) checks that every test a doc
# cites exists and every runnable block runs; check-docs (CI) also reruns every
# generated sample output but the minutes-long ones (-slow adds those).
check-docs-quick:
	$(GO) test -count=1 -short ./internal/docscheck
check-docs:
	$(GO) test -count=1 -timeout 20m ./internal/docscheck

# Every fuzz target, each for FUZZTIME (CI runs the seed corpora as plain
# tests in `make unit`). -timeout 0: go test's default 10m timeout would
# stop a fuzzer that runs as long.
FUZZTIME ?= 10m
.PHONY: fuzz
fuzz:
	$(GO) test ./labgob -run '^$$' -fuzz '^FuzzRoundTrip$$' -fuzztime $(FUZZTIME) -timeout 0
	$(GO) test ./labrpc -run '^$$' -fuzz '^FuzzReadTrace$$' -fuzztime $(FUZZTIME) -timeout 0
	$(GO) test ./internal/stories -run '^$$' -fuzz '^FuzzRunFlags$$' -fuzztime $(FUZZTIME) -timeout 0
	$(GO) test ./internal/course -run '^$$' -fuzz '^FuzzParseMutants$$' -fuzztime $(FUZZTIME) -timeout 0

# Unreachable functions (deadcode -test: from every main and every test), run
# pinned. None may be left but those in DEADCODE_KEPT, each kept on purpose
# with a comment that says why where it is defined.
DEADCODE = golang.org/x/tools/cmd/deadcode@v0.52.0
DEADCODE_KEPT = protolab/labgob.RegisterName
.PHONY: deadcode
deadcode:
	@all=$$($(GO) run $(DEADCODE) -test -f '{{range .Funcs}}{{$$.Path}}.{{.Name}}{{"\n"}}{{end}}' ./...) || exit 1; \
	out=$$(echo "$$all" | grep -v -x -F $(foreach k,$(DEADCODE_KEPT),-e $(k))); \
	if [ -n "$$out" ]; then echo "unreachable: remove it, or keep it with a comment and add it to DEADCODE_KEPT:"; echo "$$out"; exit 1; fi
