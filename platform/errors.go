package platform

import "errors"

// ErrNotTaken is wrapped by Preset's error for a picture size or frame
// rate the platform does not take.
var ErrNotTaken = errors.New("platform: not taken by the platform")
