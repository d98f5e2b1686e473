package search

import (
	"strings"
	"testing"
)

func TestResolveShard(t *testing.T) {
	for _, tc := range []struct {
		name    string
		flag    string
		shards  int
		env     map[string]string
		want    Shard
		wantErr string
	}{
		{name: "nothing", want: All},
		{name: "flag", flag: "2/5", want: Shard{K: 2, N: 5, From: "--shard"}},
		{name: "flag wins over env", flag: "0/2", env: map[string]string{EnvJobIndex: "1"}, shards: 2, want: Shard{K: 0, N: 2, From: "--shard"}},
		{name: "kubernetes", shards: 3, env: map[string]string{EnvJobIndex: "2"}, want: Shard{K: 2, N: 3, From: EnvJobIndex + " and --shards"}},
		{name: "slurm", env: map[string]string{EnvSlurmTask: "1", EnvSlurmCount: "4"}, want: Shard{K: 1, N: 4, From: EnvSlurmTask + " and " + EnvSlurmCount}},
		{name: "slurm count from flag", shards: 4, env: map[string]string{EnvSlurmTask: "3"}, want: Shard{K: 3, N: 4, From: EnvSlurmTask + " and " + EnvSlurmCount}},
		{name: "kubernetes without shards", env: map[string]string{EnvJobIndex: "0"}, wantErr: "--shards N is not"},
		{name: "index too large", shards: 3, env: map[string]string{EnvJobIndex: "3"}, wantErr: "want 0 <= K < N, got K=3 N=3"},
		{name: "bad flag", flag: "1-3", wantErr: "--shard must be K/N"},
		{name: "flag not numbers", flag: "a/3", wantErr: "want whole numbers"},
		{name: "shards alone", shards: 3, wantErr: "--shards 3 needs --shard K/N or JOB_COMPLETION_INDEX"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveShard(tc.flag, tc.shards, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v, want %+v", got, err, tc.want)
			}
		})
	}
	s := Shard{K: 1, N: 3}
	var owned []int
	for i := range 8 {
		if s.Owns(i) {
			owned = append(owned, i)
		}
	}
	if len(owned) != 3 || owned[0] != 1 || owned[1] != 4 || owned[2] != 7 {
		t.Fatalf("shard 1/3 owns %v of 0..7, want [1 4 7]", owned)
	}
}
