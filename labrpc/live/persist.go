package live

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"protolab/labrpc"
)

// Stable storage on disk. A node's Persister is labrpc's own, in memory;
// after every event in which the node called Save, the host writes the
// state and the snapshot to one file, atomically (write a temporary file,
// fsync it, rename it over the old one, fsync the directory), before any
// message the event produced leaves the node. So what a peer was told
// (a vote, an acknowledged entry) is on disk first, as Raft's Figure 2
// requires ("respond to RPCs only after updating stable storage"), and a
// process killed at any moment restarts from one save or the next, never
// from half of one.

// persistFile is the file, inside the node's directory.
const persistFile = "persist.bin"

// loadPersister reads dir's saved state, or returns empty storage if there
// is none yet.
func loadPersister(dir string) (*labrpc.Persister, error) {
	data, err := os.ReadFile(filepath.Join(dir, persistFile))
	if os.IsNotExist(err) {
		return labrpc.NewPersister(), nil
	}
	if err != nil {
		return nil, err
	}
	if len(data) < 8 {
		return nil, fmt.Errorf("live: %s is %d bytes, too short to be a protolab persister file; remove the directory to start the node afresh", filepath.Join(dir, persistFile), len(data))
	}
	n := binary.BigEndian.Uint64(data)
	if n > uint64(len(data)-8) {
		return nil, fmt.Errorf("live: %s says its state is %d bytes, but the file holds %d: it is not a protolab persister file; remove the directory to start the node afresh", filepath.Join(dir, persistFile), n, len(data)-8)
	}
	return labrpc.LoadPersister(data[8:8+n], data[8+n:]), nil
}

// savePersister writes p to dir atomically and durably.
func savePersister(dir string, p *labrpc.Persister) error {
	state, snap := p.ReadState(), p.ReadSnapshot()
	buf := make([]byte, 8, 8+len(state)+len(snap))
	binary.BigEndian.PutUint64(buf, uint64(len(state)))
	buf = append(append(buf, state...), snap...)
	tmp := filepath.Join(dir, persistFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, persistFile)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
