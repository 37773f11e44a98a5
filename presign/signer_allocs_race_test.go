//go:build race

package presign

// raceEnabled: the race detector allocates, and sync.Pool drops items
// at random under it, so allocation counts do not hold.
const raceEnabled = true
