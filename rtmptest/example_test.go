package rtmptest_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/golivecast/golivecast/rtmptest"
)

// This example records every publish into an FLV file named after its key,
// then waits for a first publisher to finish.
func Example() {
	s, err := rtmptest.Start(rtmptest.Config{
		Record: func(app, key string) (io.WriteCloser, error) {
			return os.Create(key + ".flv")
		},
		DropPayloads: true, // the files hold the media; keep the event log small
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Println("publish to", s.URL("live", "demo"))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = s.WaitFor(ctx, func(evs []rtmptest.Event) bool {
		for _, e := range evs {
			if e.Kind == rtmptest.KindDeleteStream || e.Kind == rtmptest.KindClose {
				return true
			}
		}
		return false
	})
	fmt.Println("done:", err)
}
