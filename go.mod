module github.com/golivecast/golivecast

go 1.26.8

require (
	github.com/bluenviron/gortmplib v1.0.1
	github.com/bluenviron/mediacommon v1.13.1
	github.com/bluenviron/mediacommon/v2 v2.9.3
	github.com/gen2brain/aac-go v0.0.0-20230119102159-ef1e76509d21
	github.com/gen2brain/malgo v0.11.24
	github.com/gen2brain/x264-go v0.4.0
	github.com/sirupsen/logrus v1.7.0
	github.com/yutopp/go-amf0 v0.1.0
	github.com/yutopp/go-flv v0.3.1
	github.com/yutopp/go-rtmp v0.0.7
	go.uber.org/goleak v1.3.0
	golang.org/x/image v0.47.0
	golang.org/x/sys v0.49.0
)

require (
	github.com/abema/go-mp4 v1.7.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/hashicorp/errwrap v1.1.0 // indirect
	github.com/hashicorp/go-multierror v1.1.0 // indirect
	github.com/mitchellh/mapstructure v1.4.1 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	golang.org/x/text v0.43.0 // indirect
)
