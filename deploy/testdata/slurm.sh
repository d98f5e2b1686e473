#!/bin/bash
# practica-search-lr in 4 shards: submit with sbatch; each array task runs
# the shard that SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT name.
#SBATCH --job-name=practica-search-lr
#SBATCH --array=0-3
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --mem=4096M
#SBATCH --output=practica-search-lr-%A_%a.out
#SBATCH --error=practica-search-lr-%A_%a.err
set -euo pipefail
exec practica train --search /home/ada/lr.yaml --shards 4 --out /data --name lr --data=fashion-mnist --epochs=5
