package lock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The client's lease, run for as long as its slowest clock allows, must end
// in true time no later than the server's, run on its fastest clock.
func TestClientLeaseFormula6C(t *testing.T) {
	for _, tc := range []struct {
		lease time.Duration
		rho   float64
		want  time.Duration
	}{
		{time.Second, 0, time.Second},
		{time.Second, 0.1, 818181818 * time.Nanosecond},
		{12 * time.Second, 0.2, 8 * time.Second},
		{time.Second, 0.5, 333333333 * time.Nanosecond},
	} {
		got := ClientLease(tc.lease, tc.rho)
		require.Equal(t, tc.want, got, "ClientLease(%v, ρ=%v)", tc.lease, tc.rho)
		clientTrue := float64(got) / (1 - tc.rho)
		serverTrue := float64(tc.lease) / (1 + tc.rho)
		require.LessOrEqual(t, clientTrue, serverTrue+1, "ρ=%v: the client's lease outlasts the server's in true time", tc.rho)
	}
	require.Panics(t, func() { ClientLease(time.Second, 1) }, "ρ = 1 lets a clock stop")
	require.Panics(t, func() { ClientLease(time.Second, -0.1) })
}
