package capture

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: every
// goroutine this package starts has an owner that must stop it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
