// Command peer_go is weft's Go peer benchmark (bench/peers/go). It owns the
// goroutine versions of the workloads that weft's own bench measures, so the
// weft bench can run it in the same session and print ratios against it.
//
// Usage: peer_go <workload> [workers] [n]
//
// It prints exactly one line to stdout:
//
//	<workload> <ns_per_op> <peak_rss_kib>
//
// where peak_rss_kib is VmHWM from /proc/self/status read at the end of the
// run. workers is GOMAXPROCS (default 1); n is the iteration count (default
// per workload). Unknown workload or bad arguments: message on stderr, exit 2.
// Standard library only.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// yieldBench: two goroutines on ONE thread (GOMAXPROCS forced to 1), each
// calls runtime.Gosched n times. One round trip = each goroutine yields once,
// so the reported figure is total_time / n (ns per round trip, i.e. two
// goroutine switches).
func yieldBench(n int) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(2)
	for g := 0; g < 2; g++ {
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// spawnBench: spawn one empty goroutine and wait for it, n times in a row.
// Reported figure: ns per spawn+join.
func spawnBench(n int) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { wg.Done() }()
		wg.Wait()
	}
	return time.Since(start)
}

// skynetNode is the classic skynet node: leaves send their index, inner
// nodes spawn div children on a fresh unbuffered channel and sum them.
func skynetNode(out chan<- int64, num, size, div int64) {
	if size == 1 {
		out <- num
		return
	}
	c := make(chan int64)
	child := size / div
	for i := int64(0); i < div; i++ {
		go skynetNode(c, num+i*child, child, div)
	}
	var sum int64
	for i := int64(0); i < div; i++ {
		sum += <-c
	}
	out <- sum
}

const (
	skynetLeaves = 1000000
	skynetWant   = int64(499999500000)
)

// skynetBench runs skynet once (1,000,000 leaves, fan-out 10) and returns
// the TOTAL elapsed time: the reported "ns_per_op" for skynet is the whole
// run in ns, not a per-node figure. Exits 1 if the sum is wrong.
func skynetBench() time.Duration {
	c := make(chan int64)
	start := time.Now()
	go skynetNode(c, 0, skynetLeaves, 10)
	sum := <-c
	d := time.Since(start)
	if sum != skynetWant {
		fmt.Fprintf(os.Stderr, "skynet: wrong sum %d (want %d)\n", sum, skynetWant)
		os.Exit(1)
	}
	return d
}

// pingpongBench: two goroutines bounce a value over two unbuffered
// channels. Reported figure: ns per round trip.
func pingpongBench(n int) time.Duration {
	ping := make(chan int)
	pong := make(chan int)
	done := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			pong <- <-ping
		}
		close(done)
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	<-done
	return time.Since(start)
}

// mutex4Bench: 4 goroutines share one sync.Mutex; each does n/4 iterations
// of {Lock; Gosched; Unlock}. Reported figure: total_time / n (ns per
// acquisition).
func mutex4Bench(n int) time.Duration {
	var mu sync.Mutex
	var wg sync.WaitGroup
	per := n / 4
	start := time.Now()
	wg.Add(4)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < per; i++ {
				mu.Lock()
				runtime.Gosched()
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// queueChanBench: 2 producer + 2 consumer goroutines pass n distinct
// integers through one buffered channel of capacity 64 (n/2 each way per
// goroutine). Reported figure: total_time / n (ns per item). Exits 1 if the
// consumers' sum differs from the producers'.
func queueChanBench(n int) time.Duration {
	per := n / 2
	if per < 1 {
		per = 1
	}
	ch := make(chan int, 64)
	var wg sync.WaitGroup
	var got [2]int64
	start := time.Now()
	wg.Add(4)
	for p := 0; p < 2; p++ {
		go func(p int) {
			for k := 0; k < per; k++ {
				ch <- 2*k + p + 1
			}
			wg.Done()
		}(p)
	}
	for c := 0; c < 2; c++ {
		go func(c int) {
			var sum int64
			for k := 0; k < per; k++ {
				sum += int64(<-ch)
			}
			got[c] = sum
			wg.Done()
		}(c)
	}
	wg.Wait()
	d := time.Since(start)
	var want int64
	for p := int64(0); p < 2; p++ {
		want += int64(per)*int64(per-1) + (p+1)*int64(per)
	}
	if got[0]+got[1] != want {
		fmt.Fprintf(os.Stderr, "queue_chan: consumers received %d, producers put %d\n",
			got[0]+got[1], want)
		os.Exit(1)
	}
	return d * time.Duration(n) / time.Duration(2*per)
}

// mutexUncontendedBench: one goroutine does Lock+Unlock n times. Reported
// figure: ns per pair.
func mutexUncontendedBench(n int) time.Duration {
	var mu sync.Mutex
	start := time.Now()
	for i := 0; i < n; i++ {
		mu.Lock()
		mu.Unlock()
	}
	return time.Since(start)
}

// peakRSSKiB returns VmHWM from /proc/self/status in KiB (0 if unreadable).
func peakRSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmHWM:") {
			fields := strings.Fields(line[len("VmHWM:"):])
			if len(fields) > 0 {
				v, err := strconv.ParseInt(fields[0], 10, 64)
				if err == nil {
					return v
				}
			}
		}
	}
	return 0
}

func usage(msg string) {
	fmt.Fprintf(os.Stderr, "peer_go: %s\n", msg)
	fmt.Fprintln(os.Stderr, "usage: peer_go <yield|spawn|skynet|pingpong_chan|mutex4|mutex_uncontended|queue_chan> [workers] [n]")
	os.Exit(2)
}

func posArg(s, what string) int {
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		usage(fmt.Sprintf("bad %s %q (want an integer >= 1)", what, s))
	}
	return v
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 4 {
		usage("wrong number of arguments")
	}
	workload := os.Args[1]
	workers := 1
	if len(os.Args) > 2 {
		workers = posArg(os.Args[2], "workers")
	}
	n := 0
	if len(os.Args) > 3 {
		n = posArg(os.Args[3], "n")
	}

	var run func(int) time.Duration
	defN := 1000000
	switch workload {
	case "yield":
		workers = 1 // always one thread
		run = yieldBench
	case "spawn":
		run = spawnBench
	case "skynet":
		run = nil // handled below: runs once, no warm-up
	case "pingpong_chan":
		run = pingpongBench
	case "mutex4":
		run = mutex4Bench
	case "queue_chan":
		workers = 2 // 2 producers + 2 consumers on GOMAXPROCS=2
		run = queueChanBench
	case "mutex_uncontended":
		defN = 10000000
		run = mutexUncontendedBench
	default:
		usage(fmt.Sprintf("unknown workload %q", workload))
	}
	if n == 0 {
		n = defN
	}
	if workload == "mutex4" {
		n -= n % 4 // whole rounds for 4 goroutines, so ns/op = total / n
		if n < 4 {
			n = 4
		}
	}
	runtime.GOMAXPROCS(workers)

	var nsPerOp float64
	if workload == "skynet" {
		nsPerOp = float64(skynetBench().Nanoseconds())
	} else {
		warm := n / 10
		if warm < 4 {
			warm = 4
		}
		run(warm)
		nsPerOp = float64(run(n).Nanoseconds()) / float64(n)
	}
	fmt.Printf("%s %.2f %d\n", workload, nsPerOp, peakRSSKiB())
}
