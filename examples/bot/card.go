package main

import (
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

var (
	backdrop = color.RGBA{18, 22, 36, 255}
	dim      = color.RGBA{130, 140, 170, 255}
	ink      = color.RGBA{24, 26, 32, 255}
	// Cards take these colours in turn, so that each new card differs
	// from the one before even when the text is alike.
	cardColors = []color.RGBA{
		{250, 240, 210, 255},
		{210, 240, 225, 255},
		{215, 228, 250, 255},
		{245, 215, 225, 255},
	}
	avatarColors = []color.RGBA{
		{220, 80, 60, 255}, {60, 140, 220, 255}, {60, 170, 100, 255},
		{170, 90, 200, 255}, {230, 150, 30, 255}, {40, 160, 170, 255},
	}
)

// cards draws the bot's pictures: a card for each chat message, and a
// waiting screen before the first.
type cards struct {
	w, h                 int
	header, author, body font.Face
}

func newCards(w, h int) (*cards, error) {
	regular, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, err
	}
	bold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, err
	}
	face := func(f *opentype.Font, size int) (font.Face, error) {
		return opentype.NewFace(f, &opentype.FaceOptions{Size: float64(size), DPI: 72, Hinting: font.HintingFull})
	}
	c := &cards{w: w, h: h}
	if c.header, err = face(regular, max(8, h/28)); err != nil {
		return nil, err
	}
	if c.author, err = face(bold, max(10, h/14)); err != nil {
		return nil, err
	}
	if c.body, err = face(regular, max(9, h/18)); err != nil {
		return nil, err
	}
	return c, nil
}

// waiting is the picture before the first message.
func (c *cards) waiting(hint string) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
	draw.Draw(img, img.Rect, image.NewUniform(backdrop), image.Point{}, draw.Src)
	c.text(img, c.header, "golivecast bot", c.w/20, c.h/12, dim)
	d := font.Drawer{Face: c.body}
	x := (fixed.I(c.w) - d.MeasureString(hint)) / 2
	c.text(img, c.body, hint, x.Round(), c.h/2, dim)
	return img
}

// card draws message n (from 1) on a new picture. The picture is never
// changed afterwards, which lets the bot hand it to the publisher without
// a copy.
func (c *cards) card(n int, e event) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
	draw.Draw(img, img.Rect, image.NewUniform(backdrop), image.Point{}, draw.Src)
	c.text(img, c.header, fmt.Sprintf("golivecast bot · message %d", n), c.w/20, c.h/12, dim)

	box := image.Rect(c.w/12, c.h/5, c.w-c.w/12, c.h-c.h/8)
	roundRect(img, box, c.h/24, cardColors[(n-1)%len(cardColors)])

	// The avatar: a disc in the author's colour with their initial.
	pad := c.h / 20
	r := c.h / 12
	cx, cy := box.Min.X+pad+r, box.Min.Y+pad+r
	hash := fnv.New32a()
	hash.Write([]byte(e.author))
	disc(img, cx, cy, r, avatarColors[hash.Sum32()%uint32(len(avatarColors))])
	initial, _ := utf8.DecodeRuneInString(strings.ToUpper(e.author))
	d := font.Drawer{Face: c.author}
	adv := d.MeasureString(string(initial))
	m := c.author.Metrics()
	c.text(img, c.author, string(initial), cx-adv.Round()/2, cy+(m.Ascent-m.Descent).Round()/2, color.White)

	// The author beside the avatar, the message below, wrapped to the
	// card's width and cut where the card ends.
	left := cx + r + pad
	c.text(img, c.author, e.author, left, cy+(m.Ascent-m.Descent).Round()/2, ink)
	lineH := c.body.Metrics().Height.Ceil()
	y := cy + r + pad + lineH
	lines := wrap(c.body, e.text, box.Dx()-2*pad)
	for i, line := range lines {
		if y+lineH > box.Max.Y-pad/2 && i < len(lines)-1 {
			c.text(img, c.body, line+" …", box.Min.X+pad, y, ink)
			break
		}
		c.text(img, c.body, line, box.Min.X+pad, y, ink)
		y += lineH
	}
	return img
}

// text draws s with its baseline starting at (x, y).
func (c *cards) text(img *image.RGBA, face font.Face, s string, x, y int, col color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(col), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// wrap breaks s into lines no wider than width, between words, or inside
// a word too long for a line of its own.
func wrap(face font.Face, s string, width int) []string {
	d := font.Drawer{Face: face}
	fits := func(s string) bool { return d.MeasureString(s).Ceil() <= width }
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && fits(line+" "+word) {
			line += " " + word
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		line = word
		for !fits(line) && utf8.RuneCountInString(line) > 1 {
			cut := len(line)
			for cut > 0 && !fits(line[:cut]) {
				_, size := utf8.DecodeLastRuneInString(line[:cut])
				cut -= size
			}
			cut = max(cut, len(string([]rune(line)[0])))
			lines = append(lines, line[:cut])
			line = line[cut:]
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// roundRect fills r with corners rounded to radius.
func roundRect(img *image.RGBA, r image.Rectangle, radius int, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			// The distance into the corner square, if in one.
			dx := max(r.Min.X+radius-x, x-(r.Max.X-1-radius), 0)
			dy := max(r.Min.Y+radius-y, y-(r.Max.Y-1-radius), 0)
			if dx*dx+dy*dy <= radius*radius {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

// disc fills a circle of radius r around (cx, cy).
func disc(img *image.RGBA, cx, cy, r int, c color.RGBA) {
	for y := cy - r; y <= cy+r; y++ {
		for x := cx - r; x <= cx+r; x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
				img.SetRGBA(x, y, c)
			}
		}
	}
}
