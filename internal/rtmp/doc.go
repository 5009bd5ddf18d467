// Package rtmp is the RTMP wire protocol of a publisher (Adobe RTMP
// specification 1.0): the handshake, the chunk stream, and a publishing
// session that dials, connects, creates a stream, publishes, writes media
// messages and follows their delivery through the kernel. It knows
// nothing of encoders, queues or FLV files: rtmpsrc drives it, and its
// errors reach users through rtmpsrc, which exports the same sentinels.
//
// It is lenient in what it reads (commands it has no use for, malformed
// ones, a chunk stream that starts with a type-1 or type-2 header, an S2
// that does not echo C1) and bounds everything it reads; it is strict in
// what it writes.
package rtmp
