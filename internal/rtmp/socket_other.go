//go:build !linux

package rtmp

// tune does nothing here: the send buffer (Config.SendBuffer) alone
// bounds what waits in the kernel.
func (s *tcpSocket) tune(kernelTuning) {}

// unacked is unknown here.
func (s *tcpSocket) unacked() (int, bool) { return 0, false }
