package feasibility

// Verdicts.
const (
	Pass     = "PASS"
	Fail     = "FAIL"
	Signal   = "SIGNAL"
	NoSignal = "NO SIGNAL"
	// Clusters and NoClusters are clustering's verdicts, which inform
	// and do not decide the exit status (see ClusterResult).
	Clusters   = "CLUSTERS"
	NoClusters = "NO CLUSTERS"
)

// Report is feasibility.json: one key per test that ran.
type Report struct {
	// RunDir is the run directory the report was written to.
	RunDir          string         `json:"run_dir,omitempty"`
	OverfitOne      *OverfitResult `json:"overfit_one,omitempty"`
	OverfitBatch    *OverfitResult `json:"overfit_batch,omitempty"`
	NaiveEmbeddings *NaiveResult   `json:"naive_embeddings,omitempty"`
	Clustering      *ClusterResult `json:"clustering,omitempty"`
}

// Verdicts lists the verdicts of the tests that ran and decide the exit
// status, in order: clustering's is not one of them.
func (r *Report) Verdicts() []string {
	var v []string
	if r.OverfitOne != nil {
		v = append(v, r.OverfitOne.Verdict)
	}
	if r.OverfitBatch != nil {
		v = append(v, r.OverfitBatch.Verdict)
	}
	if r.NaiveEmbeddings != nil {
		v = append(v, r.NaiveEmbeddings.Verdict)
	}
	return v
}

// OK tells whether every verdict is PASS or SIGNAL (the command exits 0).
func (r *Report) OK() bool {
	for _, v := range r.Verdicts() {
		if v != Pass && v != Signal {
			return false
		}
	}
	return true
}
