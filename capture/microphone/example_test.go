package microphone_test

import (
	"fmt"
	"log"

	"github.com/golivecast/golivecast/capture/microphone"
)

func ExampleOpen() {
	devices, err := microphone.List()
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range devices {
		fmt.Println(d.Backend, d.ID, d.Name, d.IsDefault)
	}

	mic, err := microphone.Open(microphone.Options{
		Device: "", // the default input; or an ID or name from List
	})
	if err != nil {
		log.Fatal(err) // names the device and backend, and lists the devices
	}
	defer mic.Close()
	fmt.Println("capturing", mic.Format(), "from", mic.Device())
}
