// Command serveload is bench/serve.sh's load generator: it sends Open
// Inference Protocol infer requests built from a data source's examples
// (raw, as a client holds them) to a server from a number of concurrent
// clients, and prints one JSON line: requests, seconds, requests and
// examples per second, latency percentiles, and the count of answers that
// were not 200.
//
// Every request is built before the clock starts, so the figures measure
// the server, not JSON encoding in the client. Request i carries examples
// i*batch .. i*batch+batch-1 (mod the source's size): two servers given
// the same flags get the same requests in the same order.
//
//	go run ./bench/serveload -url http://127.0.0.1:8080/v2/models/digits/infer -n 10000 -c 8 -batch 1
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/practica-ml/practica/data"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "serveload:", err)
		os.Exit(1)
	}
}

type result struct {
	Label       string  `json:"label,omitempty"`
	Requests    int     `json:"requests"`
	Batch       int     `json:"batch"`
	Clients     int     `json:"clients"`
	Seconds     float64 `json:"seconds"`
	RPS         float64 `json:"requests_per_s"`
	ExamplesPS  float64 `json:"examples_per_s"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	NotOK       int     `json:"not_ok"`
	FirstNotOK  string  `json:"first_not_ok,omitempty"`
	MaxProbDiff float64 `json:"max_probability_diff,omitempty"`
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serveload", flag.ContinueOnError)
	url := fs.String("url", "", "infer URL: http://HOST:PORT/v2/models/NAME/infer")
	source := fs.String("data", "digits", "data source whose training examples make the requests")
	n := fs.Int("n", 10000, "requests to send")
	clients := fs.Int("c", 8, "concurrent clients")
	batch := fs.Int("batch", 1, "examples per request")
	label := fs.String("label", "", "label of the result line")
	compare := fs.String("compare", "", "a second infer URL: send the first 100 requests to both and report the largest probability difference")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" || *n < 1 || *clients < 1 || *batch < 1 {
		return errors.New("need -url, and -n, -c and -batch of at least 1")
	}
	src, err := data.Open(*source, data.OpenOptions{})
	if err != nil {
		return err
	}
	d := src.Train
	bodies := requests(d, *n, *batch)
	res := result{Label: *label, Requests: *n, Batch: *batch, Clients: *clients}
	if *compare != "" {
		if res.MaxProbDiff, err = probabilityDiff(*url, *compare, bodies[:min(100, len(bodies))]); err != nil {
			return err
		}
	}
	client := &http.Client{Timeout: *timeout, Transport: &http.Transport{MaxIdleConnsPerHost: *clients}}
	lat := make([]time.Duration, *n)
	next := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				status, msg := post(client, *url, bodies[i])
				lat[i] = time.Since(t)
				if status != http.StatusOK {
					mu.Lock()
					if res.NotOK == 0 {
						res.FirstNotOK = fmt.Sprintf("%d %s", status, msg)
					}
					res.NotOK++
					mu.Unlock()
				}
			}
		}()
	}
	deadline := time.After(*timeout)
	for i := range *n {
		select {
		case next <- i:
		case <-deadline:
			close(next)
			return fmt.Errorf("timed out after %v", *timeout)
		}
	}
	close(next)
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.RPS = float64(*n) / res.Seconds
	res.ExamplesPS = res.RPS * float64(*batch)
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e6 }
	res.P50ms, res.P99ms, res.MaxMs = ms(0.5), ms(0.99), ms(1)
	return json.NewEncoder(stdout).Encode(res)
}

// requests builds the n request bodies.
func requests(d *data.Dataset, n, batch int) [][]byte {
	size := data.ShapeSize(d.Shape)
	examples := len(d.X) / size
	bodies := make([][]byte, n)
	for i := range bodies {
		x := make([]float32, 0, batch*size)
		for j := range batch {
			k := (i*batch + j) % examples
			x = append(x, d.X[k*size:(k+1)*size]...)
		}
		body, _ := json.Marshal(map[string]any{"id": fmt.Sprint(i), "inputs": []map[string]any{{
			"name": "input", "datatype": "FP32", "shape": append([]int{batch}, d.Shape...), "data": x,
		}}})
		bodies[i] = body
	}
	return bodies
}

func post(c *http.Client, url string, body []byte) (int, string) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, string(b[:min(len(b), 200)])
	}
	return resp.StatusCode, ""
}

// probabilityDiff sends bodies to both URLs and returns the largest
// absolute difference between their probabilities.
func probabilityDiff(a, b string, bodies [][]byte) (float64, error) {
	worst := 0.0
	for _, body := range bodies {
		pa, err := probabilities(a, body)
		if err != nil {
			return 0, err
		}
		pb, err := probabilities(b, body)
		if err != nil {
			return 0, err
		}
		if len(pa) != len(pb) {
			return 0, fmt.Errorf("%s answers %d probabilities, %s %d", a, len(pa), b, len(pb))
		}
		for i := range pa {
			worst = math.Max(worst, math.Abs(pa[i]-pb[i]))
		}
	}
	return worst, nil
}

func probabilities(url string, body []byte) ([]float64, error) {
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Outputs []struct {
			Name string          `json:"name"`
			Data json.RawMessage `json:"data"`
		} `json:"outputs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	for _, o := range r.Outputs {
		if o.Name == "probabilities" {
			var probs []float64
			if err := json.Unmarshal(o.Data, &probs); err != nil {
				return nil, fmt.Errorf("%s: probabilities: %w", url, err)
			}
			return probs, nil
		}
	}
	return nil, fmt.Errorf("%s: no probabilities output", url)
}
