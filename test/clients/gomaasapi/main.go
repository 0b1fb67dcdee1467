// A small program on juju's gomaasapi (Debian's golang-github-juju-gomaasapi-dev), built offline in
// GOPATH mode by test/clients/gomaasapi.test.ts. It drives Plinth the way Juju does and prints what
// the library parsed (its strict schemas must accept every response) as one JSON document.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/juju/gomaasapi"
)

type machineOut struct {
	SystemID     string            `json:"system_id"`
	Hostname     string            `json:"hostname"`
	FQDN         string            `json:"fqdn"`
	Status       string            `json:"status"`
	Arch         string            `json:"architecture"`
	CPU          int               `json:"cpu_count"`
	Memory       int               `json:"memory"`
	Zone         string            `json:"zone"`
	Pool         string            `json:"pool"`
	Tags         []string          `json:"tags"`
	BootMAC      string            `json:"boot_mac"`
	Interfaces   []string          `json:"interfaces"`
	VLANs        []string          `json:"vlans"`
	Disks        []string          `json:"disks"`
	OwnerData    map[string]string `json:"owner_data"`
	HardwareInfo map[string]string `json:"hardware_info"`
	PowerState   string            `json:"power_state"`
	OS           string            `json:"osystem"`
}

func fail(step string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", step, err)
	os.Exit(1)
}

func describe(m gomaasapi.Machine) machineOut {
	o := machineOut{SystemID: m.SystemID(), Hostname: m.Hostname(), FQDN: m.FQDN(), Status: m.StatusName(),
		Arch: m.Architecture(), CPU: m.CPUCount(), Memory: m.Memory(), Zone: m.Zone().Name(), Tags: m.Tags(),
		OwnerData: m.OwnerData(), HardwareInfo: m.HardwareInfo(), PowerState: m.PowerState(), OS: m.OperatingSystem()}
	if p := m.Pool(); p != nil {
		o.Pool = p.Name()
	}
	if b := m.BootInterface(); b != nil {
		o.BootMAC = b.MACAddress()
	}
	for _, i := range m.InterfaceSet() {
		o.Interfaces = append(o.Interfaces, i.Name()+"="+i.MACAddress())
		if v := i.VLAN(); v != nil {
			o.VLANs = append(o.VLANs, fmt.Sprintf("%s/%d", v.Fabric(), v.VID()))
		}
	}
	for _, d := range m.BlockDevices() {
		o.Disks = append(o.Disks, fmt.Sprintf("%s:%d", d.Name(), d.Size()))
	}
	return o
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: gomaasapi-probe URL APIKEY MODE [ARGS…]")
		os.Exit(2)
	}
	url, key, mode := os.Args[1], os.Args[2], os.Args[3]
	c, err := gomaasapi.NewController(gomaasapi.ControllerArgs{BaseURL: url, APIKey: key})
	if err != nil {
		fail("NewController", err)
	}
	out := map[string]interface{}{}
	switch mode {
	case "inventory":
		ms, err := c.Machines(gomaasapi.MachinesArgs{})
		if err != nil {
			fail("Machines", err)
		}
		list := []machineOut{}
		for _, m := range ms {
			list = append(list, describe(m))
		}
		out["machines"] = list
		filtered, err := c.Machines(gomaasapi.MachinesArgs{Hostnames: []string{"juju-1"}})
		if err != nil {
			fail("Machines(hostname)", err)
		}
		out["filtered"] = len(filtered)
		if len(filtered) == 1 {
			if err := filtered[0].SetOwnerData(map[string]string{"juju-model": "m1"}); err != nil {
				fail("SetOwnerData", err)
			}
			again, err := c.Machines(gomaasapi.MachinesArgs{SystemIDs: []string{filtered[0].SystemID()}})
			if err != nil {
				fail("Machines(system_id)", err)
			}
			out["owner_data_after"] = again[0].OwnerData()
		}
		zones, err := c.Zones()
		if err != nil {
			fail("Zones", err)
		}
		names := []string{}
		for _, z := range zones {
			names = append(names, z.Name())
		}
		out["zones"] = names
		pools, err := c.Pools()
		if err != nil {
			fail("Pools", err)
		}
		pn := []string{}
		for _, p := range pools {
			pn = append(pn, p.Name())
		}
		out["pools"] = pn
		tags, err := c.Tags()
		if err != nil {
			fail("Tags", err)
		}
		tn := []string{}
		for _, t := range tags {
			tn = append(tn, t.Name())
		}
		out["tags"] = tn
	case "release":
		if err := c.ReleaseMachines(gomaasapi.ReleaseMachinesArgs{SystemIDs: os.Args[4:], Comment: "from gomaasapi"}); err != nil {
			out["error"] = err.Error()
			out["error_type"] = fmt.Sprintf("%T", err)
			out["cannot_complete"] = gomaasapi.IsCannotCompleteError(err)
			out["permission"] = gomaasapi.IsPermissionError(err)
			out["bad_request"] = gomaasapi.IsBadRequestError(err)
		}
	case "badkey":
		// NewController already succeeded or failed above; reaching here means the key was accepted.
		out["accepted"] = true
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fail("encode", err)
	}
}
