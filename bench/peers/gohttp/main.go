// Command peer_gohttp is the Go net/http server that weft's http_server example
// is compared with in the "servers" section of weft_bench (bench/peers/gohttp).
//
// Usage: peer_gohttp [-port P] [-host H]   (P 0: the kernel picks a port)
//
// It prints "peer_gohttp: listening on <host>:<port>" to stderr once the
// socket listens, and exits with status 0 on SIGTERM or SIGINT. Every request
// gets the same response as the weft example's GET /: 200, a Date (net/http
// adds it), Content-Type: text/plain; charset=utf-8, Content-Length: 14, body
// "Hello, World!\n" (net/http sorts the fields, so only their order differs).
// GOMAXPROCS is left at Go's default (one per CPU). Standard library only.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

var body = []byte("Hello, World!\n")

func hello(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = []string{"text/plain; charset=utf-8"}
	h["Content-Length"] = []string{"14"}
	w.Write(body)
}

func main() {
	port := flag.Int("port", 0, "TCP port (0: any free port)")
	host := flag.String("host", "127.0.0.1", "address to listen on")
	flag.Parse()

	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "peer_gohttp: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "peer_gohttp: listening on %s:%d\n", *host,
		ln.Addr().(*net.TCPAddr).Port)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		os.Exit(0) // no state to save: the connections just end
	}()
	srv := &http.Server{Handler: http.HandlerFunc(hello)}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintf(os.Stderr, "peer_gohttp: %v\n", err)
		os.Exit(1)
	}
}
