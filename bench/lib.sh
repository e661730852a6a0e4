# Shared by the bench/ scripts (sourced, not run).

# The median of the numbers on stdin, one per line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Prints "  LABEL R" with R = SECOND / FIRST to two decimals: ratio FIRST SECOND LABEL.
ratio() { awk -v a="$2" -v b="$1" -v l="$3" 'BEGIN {printf "  %s %.2f\n", l, a / b}'; }

# The harness's time of a step in its log (rootstock-boottest prints "[ 12.34 s] STEP"):
# step_time LOG PATTERN.
step_time() { sed -n "s/.*\[ *\([0-9.]*\) s\] $2.*/\1/p" "$1" | head -n 1; }
