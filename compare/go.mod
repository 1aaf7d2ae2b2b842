module protolab/compare

go 1.26.0

replace protolab => ../

require (
	github.com/buraksezer/consistent v0.10.0
	github.com/dgryski/go-rendezvous v0.0.0-20200823014737-9f7001d12a5f
	github.com/golang/groupcache v0.0.0-20241129210726-2c02b8208cf8
	github.com/lithammer/go-jump-consistent-hash v1.0.2
	protolab v0.0.0-00010101000000-000000000000
)
