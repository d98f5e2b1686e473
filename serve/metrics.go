package serve

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the series of GET /metrics, in a registry of the Server's
// own, so that two servers in one process (or in tests) never share or
// collide in a global one.
type metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	batchSize   *prometheus.HistogramVec
	predictions *prometheus.CounterVec
	confidence  *prometheus.HistogramVec
	inFlight    prometheus.Gauge
}

func newMetrics() (*metrics, error) {
	byVersion := []string{"model", "version"}
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "practica_requests_total",
			Help: "Inference requests answered, by model, version and HTTP status code (model and version empty when the request named none the server has).",
		}, []string{"model", "version", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "practica_request_duration_seconds",
			Help:    "Time from an inference request's arrival to its answer, by model and version.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, byVersion),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "practica_batch_size",
			Help:    "Examples run through the model in one call, requests batched together, by model and version.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}, byVersion),
		predictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "practica_predictions_total",
			Help: "Examples predicted, by model, version and predicted class.",
		}, []string{"model", "version", "class"}),
		confidence: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "practica_confidence",
			Help:    "The predicted class's probability (the largest) of each example, by model and version.",
			Buckets: []float64{0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99},
		}, byVersion),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "practica_requests_in_flight",
			Help: "Inference requests being answered.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.batchSize, m.predictions, m.confidence, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := m.registry.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// versionMetrics are one model version's series, looked up once when the
// version is loaded rather than at every request.
type versionMetrics struct {
	name, version string
	requests      *prometheus.CounterVec
	latency       prometheus.Observer
	batchSize     prometheus.Observer
	confidence    prometheus.Observer
	// predicted counts the examples predicted as each class, by index.
	predicted []prometheus.Counter
}

func (m *metrics) forVersion(name string, version int, classes []string) *versionMetrics {
	v := strconv.Itoa(version)
	vm := &versionMetrics{
		name: name, version: v, requests: m.requests,
		latency:    m.latency.WithLabelValues(name, v),
		batchSize:  m.batchSize.WithLabelValues(name, v),
		confidence: m.confidence.WithLabelValues(name, v),
	}
	for _, c := range classes {
		vm.predicted = append(vm.predicted, m.predictions.WithLabelValues(name, v, c))
	}
	return vm
}

// answered records a request's status and latency; vm nil is a request
// for no model the server has.
func (m *metrics) answered(vm *versionMetrics, status int, since time.Time) {
	name, version := "", ""
	if vm != nil {
		name, version = vm.name, vm.version
		vm.latency.Observe(time.Since(since).Seconds())
	}
	m.requests.WithLabelValues(name, version, strconv.Itoa(status)).Inc()
}

// forget deletes every series of a model version.
func (m *metrics) forget(name, version string) {
	labels := prometheus.Labels{"model": name, "version": version}
	m.requests.DeletePartialMatch(labels)
	m.latency.DeletePartialMatch(labels)
	m.batchSize.DeletePartialMatch(labels)
	m.predictions.DeletePartialMatch(labels)
	m.confidence.DeletePartialMatch(labels)
}
