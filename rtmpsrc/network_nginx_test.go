package rtmpsrc

import (
	"fmt"
	"testing"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/faultproxy"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/testkit"
)

// TestResumeAfterBlackholeNginx puts the fault proxy in front of
// nginx-rtmp and blackholes the path (no FIN, no RST) mid-stream: the
// publisher notices, and once the path is back it publishes again within
// about 2 s. The abandoned connection's reset crosses with the path, so
// nginx lets the key be published again; if nginx still held the old
// session, the publisher would retry its refusal. What nginx recorded
// after the outage starts with a keyframe, carries both tracks and
// decodes without an error, and the publisher reports the outage.
func TestResumeAfterBlackholeNginx(t *testing.T) {
	testkit.RequireFFmpeg(t)
	ng := testkit.StartNginx(t, nginx.Options{})
	px := startProxy(t, ng.Addr())
	const key = "outagekey"
	const seconds = 12
	cfg := netConfig(px.Addr(), 30*seconds, 600*encode.Kbps)
	cfg.URL = fmt.Sprintf("rtmp://%s/live/%s", px.Addr(), key)
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	errc := runAsync(t, p)
	mediaAt(t, p, 2*time.Second)
	px.SetBlackhole(faultproxy.Stall)
	testkit.Eventually(t, 10*time.Second, "the publisher to notice", func() bool {
		return p.Stats().Destinations[0].State == StateReconnecting
	})
	back := time.Now()
	px.Restore()
	testkit.Eventually(t, 10*time.Second, "the stream live again", func() bool {
		return p.Stats().Destinations[0].State == StateLive
	})
	resumed := time.Since(back)
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v\nnginx log:\n%s", err, ng.Log())
	}
	d := p.Stats().Destinations[0]
	recs := ng.RecordingsOf(key)
	t.Logf("live again %v after the path came back; %d reconnects, dropped %v; recordings %v",
		resumed.Round(time.Millisecond), d.Reconnects, d.VideoDropped, recs)
	if resumed > 2*time.Second+300*time.Millisecond {
		t.Errorf("live again %v after the path came back, want about 2 s at most", resumed)
	}
	if d.Reconnects < 1 || d.VideoDropped[DropReconnect] == 0 {
		t.Errorf("%d reconnects and %v dropped: the outage is not reported", d.Reconnects, d.VideoDropped)
	}
	if len(recs) < 2 {
		t.Fatalf("recordings %v, want one before the outage and one after", recs)
	}
	after := recs[len(recs)-1]
	vp, ap := testkit.Packets(t, after, "v"), testkit.Packets(t, after, "a")
	if len(vp) < 30 || len(ap) < 40 {
		t.Fatalf("the recording after the outage has %d video and %d audio packets", len(vp), len(ap))
	}
	if !vp[0].Keyframe {
		t.Error("the recording after the outage does not start with a keyframe")
	}
	if errs := testkit.DecodeErrors(t, after); errs != "" {
		t.Errorf("decode errors after the outage: %s", errs)
	}
}
