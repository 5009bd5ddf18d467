package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/golivecast/golivecast/internal/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server is a target that records what each connection sends and can
// answer.
type server struct {
	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	got     bytes.Buffer
	conns   []net.Conn
	readErr error
	accepts int
}

func startServer(t *testing.T) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.accepts++
			s.mu.Unlock()
			s.wg.Go(func() {
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					s.mu.Lock()
					s.got.Write(buf[:n])
					if err != nil {
						s.readErr = err
					}
					s.mu.Unlock()
					if err != nil {
						return
					}
				}
			})
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *server) received() (int, error, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got.Len(), s.readErr, s.accepts
}

func (s *server) bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.got.Bytes())
}

func (s *server) conn(i int) net.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[i]
}

func startProxy(t *testing.T, target string, opts Options) *Proxy {
	t.Helper()
	p, err := Start(target, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestForwardsBothWays(t *testing.T) {
	srv := startServer(t)
	p := startProxy(t, srv.ln.Addr().String(), Options{})
	c := dial(t, p)
	data := pattern(100 << 10)
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, "all bytes at the server", func() bool { n, _, _ := srv.received(); return n == len(data) })
	if !bytes.Equal(srv.bytes(), data) {
		t.Fatal("the server got other bytes than were sent")
	}
	// The proxy counts a write once it has returned, which can be just
	// after the other end has read it.
	testkit.Eventually(t, 5*time.Second, "every byte counted in Passed(Up)", func() bool { return p.Passed(Up) == int64(len(data)) })
	// And back.
	if _, err := srv.conn(0).Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("read back %q: %v", buf, err)
	}
	testkit.Eventually(t, 5*time.Second, "Passed(Down) = 4", func() bool { return p.Passed(Down) == 4 })
}

// TestThrottle sends through an 800 kbit/s uplink: at no moment has the
// server more than the token bucket allowed (rate times elapsed time plus
// one burst), and the link is not much slower than its rate either.
func TestThrottle(t *testing.T) {
	srv := startServer(t)
	p := startProxy(t, srv.ln.Addr().String(), Options{})
	const rate = 800_000 // bit/s: 100 kB/s
	p.SetRate(Up, rate)
	c := dial(t, p)
	data := pattern(150 << 10)
	start := time.Now()
	go c.Write(data)
	var over error
	testkit.Eventually(t, 10*time.Second, "all bytes through the throttle", func() bool {
		n, _, _ := srv.received()
		if allowed := float64(rate/8)*time.Since(start).Seconds() + float64(4<<10); float64(n) > allowed && over == nil {
			over = errors.New("faster than the rate")
			t.Errorf("%d bytes after %v, the rate allows %.0f", n, time.Since(start), allowed)
		}
		return n == len(data)
	})
	el := time.Since(start)
	t.Logf("%d kB in %v", len(data)>>10, el)
	if want := time.Duration(float64(len(data)-4<<10) / (rate / 8) * float64(time.Second)); el < want {
		t.Errorf("took %v, the rate needs at least %v", el, want)
	}
	if !bytes.Equal(srv.bytes(), data) {
		t.Fatal("bytes changed on the way")
	}
}

// TestStall blackholes a connection by no longer reading it: nothing
// reaches the server, neither end sees a FIN or RST, and once restored
// everything that waited arrives in order.
func TestStall(t *testing.T) {
	srv := startServer(t)
	p := startProxy(t, srv.ln.Addr().String(), Options{})
	c := dial(t, p)
	if _, err := c.Write([]byte("before")); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, "the first bytes", func() bool { n, _, _ := srv.received(); return n == 6 })
	// A send buffer of the client's own, as a publisher sets: the
	// default grows to megabytes on loopback.
	c.(*net.TCPConn).SetWriteBuffer(32 << 10)
	p.SetBlackhole(Stall)
	data := pattern(200 << 10)
	wrote := make(chan error, 1)
	go func() { _, err := c.Write(data); wrote <- err }()
	// The client's write cannot finish: the proxy holds at most a burst
	// and its small socket buffers, and reads no more.
	time.Sleep(300 * time.Millisecond) // the length of the outage
	select {
	case err := <-wrote:
		t.Fatalf("a 200 kB write finished through a stalled path: %v", err)
	default:
	}
	if n, err, _ := srv.received(); n != 6 || err != nil {
		t.Fatalf("during the stall the server got %d bytes (%v)", n, err)
	}
	p.Restore()
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, "everything after the restore", func() bool { n, _, _ := srv.received(); return n == 6+len(data) })
	if !bytes.Equal(srv.bytes()[6:], data) {
		t.Fatal("bytes changed or reordered across the stall")
	}
}

// TestStallNewConnection: a connection made while the path is stalled
// does not reach the server until the path is restored.
func TestStallNewConnection(t *testing.T) {
	srv := startServer(t)
	p := startProxy(t, srv.ln.Addr().String(), Options{})
	p.SetBlackhole(Stall)
	c := dial(t, p)
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, "the proxy accepting", func() bool { return p.Accepted() == 1 })
	time.Sleep(200 * time.Millisecond) // the length of the outage
	if _, _, accepts := srv.received(); accepts != 0 {
		t.Fatal("the server saw a connection through a stalled path")
	}
	p.Restore()
	testkit.Eventually(t, 5*time.Second, "the bytes after the restore", func() bool { n, _, _ := srv.received(); return n == 5 })
}

// TestDrop reads and discards: the client's writes complete, the
// server gets nothing, and the proxy counts what it dropped.
func TestDrop(t *testing.T) {
	srv := startServer(t)
	p := startProxy(t, srv.ln.Addr().String(), Options{})
	c := dial(t, p)
	c.Write([]byte("a"))
	testkit.Eventually(t, 5*time.Second, "the first byte", func() bool { n, _, _ := srv.received(); return n == 1 })
	p.SetBlackhole(Drop)
	data := pattern(300 << 10)
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, "every byte dropped", func() bool { return p.Dropped(Up) == int64(len(data)) })
	if n, err, _ := srv.received(); n != 1 || err != nil {
		t.Fatalf("the server got %d bytes (%v) through a drop blackhole", n, err)
	}
	p.Restore()
	c.Write([]byte("b"))
	testkit.Eventually(t, 5*time.Second, "bytes after the restore", func() bool { n, _, _ := srv.received(); return n == 2 })
	if got := srv.bytes(); string(got) != "ab" {
		t.Fatalf("server got %q", got)
	}
}

// TestReset resets both ends.
func TestReset(t *testing.T) {
	srv := startServer(t)
	p := startProxy(t, srv.ln.Addr().String(), Options{})
	c := dial(t, p)
	c.Write([]byte("x"))
	testkit.Eventually(t, 5*time.Second, "the connection up", func() bool { n, _, _ := srv.received(); return n == 1 })
	if n := p.Reset(); n != 1 {
		t.Fatalf("reset %d connections", n)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("client read: %v, want ECONNRESET", err)
	}
	testkit.Eventually(t, 5*time.Second, "the server's read to end", func() bool { _, err, _ := srv.received(); return err != nil })
	if _, err, _ := srv.received(); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("server read: %v, want ECONNRESET", err)
	}
}

// TestDelay holds every byte for the delay: nothing arrives sooner.
func TestDelay(t *testing.T) {
	srv := startServer(t)
	p := startProxy(t, srv.ln.Addr().String(), Options{})
	c := dial(t, p)
	c.Write([]byte("x"))
	testkit.Eventually(t, 5*time.Second, "the connection up", func() bool { n, _, _ := srv.received(); return n == 1 })
	const delay = 150 * time.Millisecond
	p.SetDelay(Up, delay)
	start := time.Now()
	c.Write([]byte("y"))
	testkit.Eventually(t, 5*time.Second, "the delayed byte", func() bool { n, _, _ := srv.received(); return n == 2 })
	if el := time.Since(start); el < delay {
		t.Errorf("arrived after %v, delay %v", el, delay)
	}
}

// TestMaxHeld: with a delay, the proxy holds at most MaxHeld bytes (plus
// one read) and stops reading past it.
func TestMaxHeld(t *testing.T) {
	srv := startServer(t)
	p := startProxy(t, srv.ln.Addr().String(), Options{MaxHeld: 16 << 10})
	c := dial(t, p)
	p.SetDelay(Up, time.Hour)
	go c.Write(pattern(1 << 20))
	// The reader blocks once the line is full; Passed stays 0 and what
	// was read is bounded.
	time.Sleep(200 * time.Millisecond) // the length of the fault
	if p.Passed(Up) != 0 {
		t.Fatal("bytes passed a one-hour delay")
	}
	p.Close() // must not hang on the held bytes
}
