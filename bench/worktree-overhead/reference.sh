#!/usr/bin/env bash
# The reference for bench/worktree-overhead: the same git work as @omk/worktree does for
# one task (a worktree on a new branch from the base, a commit of everything, a merge into
# the integration branch without touching any checkout, removal of worktree and branch),
# as a careful person would type it, with none of the package's checks.
#
#   reference.sh create <repo> <dir> <branch> <base>
#   reference.sh finish <repo> <dir> <branch> <base> <integration-ref> <message>
set -euo pipefail
cmd=$1 repo=$2 dir=$3 branch=$4 base=$5

case "$cmd" in
create)
  git -C "$repo" worktree add -q -b "$branch" "$dir" "$base"
  ;;
finish)
  int=$6 msg=$7
  git -C "$dir" add -A
  git -C "$dir" commit -q --no-verify -m "$msg"
  head=$(git -C "$dir" rev-parse HEAD)
  cur=$(git -C "$repo" rev-parse -q --verify "$int" || echo "$base")
  tree=$(git -C "$repo" merge-tree --write-tree "$cur" "$head")
  merge=$(git -C "$repo" commit-tree "$tree" -p "$cur" -p "$head" -m "merge $msg")
  git -C "$repo" update-ref "$int" "$merge"
  git -C "$repo" worktree remove "$dir"
  git -C "$repo" branch -q -D "$branch"
  ;;
*)
  echo "usage: reference.sh create|finish ..." >&2
  exit 2
  ;;
esac
