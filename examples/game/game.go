package main

import (
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	"math"
	"time"

	"github.com/golivecast/golivecast/capture"
)

// The four walls, in the order of game.flash.
const (
	wallLeft = iota
	wallRight
	wallTop
	wallBottom
)

const (
	// flashFor is how long a wall stays lit after the ball hits it.
	flashFor = 100 * time.Millisecond
	// soundFor is the length of a bounce sound; soundDecay its decay
	// time constant and soundAttack its fade-in, which avoids a click.
	soundFor    = 80 * time.Millisecond
	soundDecay  = 20 * time.Millisecond
	soundAttack = 2 * time.Millisecond
)

var (
	background = color.RGBA{20, 24, 40, 255}
	wallColor  = color.RGBA{90, 90, 110, 255}
	litColor   = color.RGBA{255, 255, 255, 255}
	ballColor  = color.RGBA{255, 150, 40, 255}
)

// game is a ball bouncing in a box. It knows nothing of streaming: it is
// stepped to a time, draws its picture and makes the sound of the time it
// was stepped over, as a game's update, render and mixer would.
type game struct {
	w, h   int
	border int     // wall thickness in pixels
	r      float64 // ball radius

	now    time.Duration // game time the state is at
	x, y   float64       // ball centre, pixels
	vx, vy float64       // pixels per second
	lit    [4]time.Duration
	hits   int

	format  capture.AudioFormat
	written int64   // sample frames made so far: sample n sounds at n/rate
	sounds  []sound // bounce sounds still ringing
	pcm     []byte  // reused between steps

	screen *image.RGBA
}

// sound is one bounce sound: it starts at sample frame start.
type sound struct {
	start int64
	freq  float64
}

func newGame(w, h int, format capture.AudioFormat) *game {
	g := &game{
		w: w, h: h,
		border: max(2, h/24),
		r:      float64(h) / 16,
		format: format,
		screen: image.NewRGBA(image.Rect(0, 0, w, h)),
		lit:    [4]time.Duration{-flashFor, -flashFor, -flashFor, -flashFor},
	}
	// The ball starts in the middle and crosses the box in 0.9 s one way
	// and 1.3 s the other, whatever the picture size, so that hits on the
	// side walls and on the top and bottom rarely coincide.
	g.x, g.y = float64(w)/2, float64(h)/2
	loX, hiX, loY, hiY := g.bounds()
	g.vx, g.vy = (hiX-loX)/0.9, (hiY-loY)/1.3
	return g
}

// bounds are where the ball's centre may go.
func (g *game) bounds() (loX, hiX, loY, hiY float64) {
	b := float64(g.border)
	return b + g.r, float64(g.w) - b - g.r, b + g.r, float64(g.h) - b - g.r
}

// step advances the game to t. The ball moves in a straight line and
// reflects off the walls; each hit is placed at the exact moment the ball
// touched the wall within the step, not at the end of the step, so its
// sound starts at the right sample however long the step was.
func (g *game) step(t time.Duration) {
	if t <= g.now {
		return
	}
	dt := (t - g.now).Seconds()
	loX, hiX, loY, hiY := g.bounds()
	g.x, g.vx = g.move(g.x, g.vx, loX, hiX, dt, wallLeft, wallRight)
	g.y, g.vy = g.move(g.y, g.vy, loY, hiY, dt, wallTop, wallBottom)
	g.now = t
}

// move advances one coordinate p at speed v for dt seconds between lo and
// hi, and records each wall it touches.
func (g *game) move(p, v, lo, hi, dt float64, wallLo, wallHi int) (float64, float64) {
	elapsed := 0.0
	for {
		var wall int
		var to float64 // seconds until the wall ahead
		switch {
		case v > 0:
			wall, to = wallHi, (hi-p)/v
		case v < 0:
			wall, to = wallLo, (lo-p)/v
		default:
			return p, v
		}
		if elapsed+to > dt {
			return p + v*(dt-elapsed), v
		}
		elapsed += to
		p, v = p+v*to, -v
		g.hit(wall, g.now+time.Duration(elapsed*float64(time.Second)))
	}
}

// hit lights the wall and starts its sound at time at.
func (g *game) hit(wall int, at time.Duration) {
	g.hits++
	g.lit[wall] = at
	freq := 880.0 // the side walls sound higher than the top and bottom
	if wall == wallTop || wall == wallBottom {
		freq = 587.0
	}
	start := int64(math.Round(at.Seconds() * float64(g.format.SampleRate)))
	g.sounds = append(g.sounds, sound{start: start, freq: freq})
}

// draw paints the state at g.now into g.screen.
func (g *game) draw() *image.RGBA {
	img, b := g.screen, g.border
	fill(img, img.Rect, background)
	walls := [4]image.Rectangle{
		wallLeft:   image.Rect(0, 0, b, g.h),
		wallRight:  image.Rect(g.w-b, 0, g.w, g.h),
		wallTop:    image.Rect(0, 0, g.w, b),
		wallBottom: image.Rect(0, g.h-b, g.w, g.h),
	}
	// Unlit walls first, so that a lit wall covers the corners it shares.
	for i, r := range walls {
		if g.now-g.lit[i] >= flashFor {
			fill(img, r, wallColor)
		}
	}
	for i, r := range walls {
		if g.now-g.lit[i] < flashFor {
			fill(img, r, litColor)
		}
	}
	// The ball, a filled disc.
	r2 := g.r * g.r
	for py := int(g.y - g.r); py <= int(g.y+g.r); py++ {
		for px := int(g.x - g.r); px <= int(g.x+g.r); px++ {
			dx, dy := float64(px)+0.5-g.x, float64(py)+0.5-g.y
			if dx*dx+dy*dy <= r2 {
				img.SetRGBA(px, py, ballColor)
			}
		}
	}
	return img
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// audio makes the PCM from the last sample made up to g.now: silence with
// the bounce sounds mixed in. The result is valid until the next call.
func (g *game) audio() []byte {
	rate := float64(g.format.SampleRate)
	end := int64(math.Round(g.now.Seconds() * rate))
	n := int(end - g.written)
	if n <= 0 {
		return nil
	}
	ch := g.format.Channels
	g.pcm = g.pcm[:0]
	for i := range n {
		s := g.written + int64(i)
		v := 0.0
		for _, snd := range g.sounds {
			v += snd.at(s, rate)
		}
		v = max(-1, min(1, v))
		for range ch {
			g.pcm = binary.LittleEndian.AppendUint16(g.pcm, uint16(int16(v*32767)))
		}
	}
	g.written = end
	// Forget the sounds that are over.
	keep := g.sounds[:0]
	for _, snd := range g.sounds {
		if float64(end-snd.start) < soundFor.Seconds()*rate {
			keep = append(keep, snd)
		}
	}
	g.sounds = keep
	return g.pcm
}

// at is the sound's value at sample frame s: a sine that fades in quickly
// and decays.
func (snd sound) at(s int64, rate float64) float64 {
	t := float64(s-snd.start) / rate
	if t < 0 || t >= soundFor.Seconds() {
		return 0
	}
	env := math.Exp(-t / soundDecay.Seconds())
	if a := soundAttack.Seconds(); t < a {
		env *= t / a
	}
	return 0.6 * env * math.Sin(2*math.Pi*snd.freq*t)
}
