package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Usage is what the process (Go, chDB and kfake together) used during a
// measured span.
type Usage struct {
	Wall       float64 `json:"wall_s"`
	CPU        float64 `json:"cpu_s"`           // user + system, all threads
	Cores      float64 `json:"cpu_cores"`       // CPU / Wall
	PeakRSSMB  float64 `json:"peak_rss_mb"`     // resident set high-water mark during the span
	PeakHeapMB float64 `json:"peak_go_heap_mb"` // Go heap in use, sampled
	// OtherCores is what every other process on the machine used meanwhile
	// (from /proc/stat): the benchmark shares the machine with them.
	OtherCores float64 `json:"other_processes_cores"`
}

// Meter measures a span: Start it, then Stop.
type Meter struct {
	start   time.Time
	cpu     float64
	machine float64
	peakRSS atomic.Int64
	heap    atomic.Int64
	stop    chan struct{}
	wg      sync.WaitGroup
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// statusKB reads a "Name: N kB" line of /proc/self/status.
func statusKB(name string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name+":") {
			fields := strings.Fields(line[len(name)+1:])
			if len(fields) > 0 {
				v, _ := strconv.ParseInt(fields[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

// resetPeakRSS resets the kernel's VmHWM so it measures from now on.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// StartMeter starts measuring.
func StartMeter() *Meter {
	resetPeakRSS()
	m := &Meter{start: time.Now(), cpu: cpuSeconds(), machine: machineBusy(), stop: make(chan struct{})}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			if rss := statusKB("VmRSS"); rss > m.peakRSS.Load() {
				m.peakRSS.Store(rss)
			}
			runtime.ReadMemStats(&ms)
			if h := int64(ms.HeapInuse); h > m.heap.Load() {
				m.heap.Store(h)
			}
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// Stop ends the span.
func (m *Meter) Stop() Usage {
	close(m.stop)
	m.wg.Wait()
	wall := time.Since(m.start).Seconds()
	cpu := cpuSeconds() - m.cpu
	peak := max(statusKB("VmHWM"), m.peakRSS.Load())
	other := max(0, (machineBusy()-m.machine)-cpu) / wall
	return Usage{Wall: wall, CPU: cpu, Cores: cpu / wall, PeakRSSMB: float64(peak) / 1024, PeakHeapMB: float64(m.heap.Load()) / (1 << 20), OtherCores: other}
}

// machineBusy is the CPU seconds all processes used since boot (user, nice,
// system, irq, softirq, steal of the "cpu" line of /proc/stat, in 1/100 s).
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	busy := 0.0
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, _ := strconv.ParseFloat(f[i], 64)
		busy += v
	}
	return busy / 100
}

// LoadAvg is /proc/loadavg's first three fields.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// quietCores is the CPU other processes may use for the machine to count
// as quiet.
const quietCores = 0.3

// WaitQuiet waits until the other processes on the machine use less than
// quietCores over a second, or until limit has passed; it returns how long
// it waited and what they used in the last second.
func WaitQuiet(limit time.Duration) (time.Duration, float64) {
	start := time.Now()
	for {
		m0, c0, t0 := machineBusy(), cpuSeconds(), time.Now()
		time.Sleep(time.Second)
		other := max(0, (machineBusy()-m0)-(cpuSeconds()-c0)) / time.Since(t0).Seconds()
		if other < quietCores || time.Since(start) >= limit {
			return time.Since(start), other
		}
	}
}
