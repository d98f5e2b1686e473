#!/bin/bash
# practica-search-it-s-rm--rf-echo-pwned in 4 shards: submit with sbatch; each array task runs
# the shard that SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT name.
#SBATCH --job-name=practica-search-it-s-rm--rf-echo-pwned
#SBATCH --array=0-3
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --mem=1024M
#SBATCH --output=practica-search-it-s-rm--rf-echo-pwned-%A_%a.out
#SBATCH --error=practica-search-it-s-rm--rf-echo-pwned-%A_%a.err
set -euo pipefail
exec practica train --search '/home/ada/my space'\''s "file".yaml' --shards 4 --out /data --name 'it'\''s $(rm -rf ~)
echo pwned' '--data=/data/a b;c.csv' '--label-column=`id`'
