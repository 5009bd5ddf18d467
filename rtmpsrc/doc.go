// Package rtmpsrc publishes a live H.264 + AAC stream over RTMP or RTMPS,
// to one server or several at once, and records it as FLV, from the
// pictures and PCM of capture sources.
//
// A Publisher owns the whole pipeline. Data flows one way through it:
//
//	video source ──pictures──> H.264 encoder ──┐
//	                                           ├─> muxer ─> fan-out ─┬─> FLV file
//	audio source ──PCM───────> AAC encoder ────┘                     ├─> destination ─> RTMP session
//	                                                                 └─> destination ─> RTMP session
//
// One goroutine per source reads it and encodes. The video side asks the
// source for one picture per frame interval and tells it when that frame
// is due (capture.Due); a picture is copied into the publisher's own
// 4:2:0 image before the source is asked for the next one. When a live
// source has nothing new in time, the last picture is sent again, so the
// stream keeps its constant frame rate. A picture shown again is sent as
// a skip frame, a few bytes instead of an x264 encode, whenever the
// publisher knows it is the same: a frame for which a live source had
// nothing new in time, and a frame the source marks
// capture.Frame.Unchanged. It never compares pixels (Stats.Video counts
// both; see encode.H264.Repeat for the repeats x264 encodes). The audio
// side counts samples.
//
// One media clock stamps both tracks: media time starts at zero for both
// when the stream starts, audio time is the count of samples, video time
// the frame index (or, with VideoEncoder.Timestamped, the time the
// producer gave each picture), so the tracks cannot drift apart. The
// encoders' delays are compensated so that the first picture and the
// first sound play together, and audio is never encoded past the end of
// the picture.
//
// The muxer orders the packets of both tracks by decoding time, paces
// them against the wall clock when the stream is live, and turns each
// into an FLV tag, copied once into a pooled, reference-counted body. The
// fan-out hands every tag to the FLV file (Config.Output), written at
// once, and to each destination, which only queues it: one slow or
// failed destination holds up no other.
//
// Each destination has a send queue measured in media time, whose drop
// policy keeps it within MaxLatency when the network is slower than the
// stream (video frames go; audio, keyframes and headers never do), and
// one goroutine that writes the queue to its RTMP session and
// re-establishes the session when it drops. A new session gets the
// metadata and sequence headers again, then a keyframe.
//
// The stream ends when the sources end (see EndPolicy), on Shutdown, on
// Close or when Run's context is cancelled; every goroutine is stopped
// before Run returns. Stats describes what the stream took, encoded and
// muxed, and what each destination sent and missed.
package rtmpsrc
