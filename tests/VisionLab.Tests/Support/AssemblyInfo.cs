// Training tests use every core; running them side by side would only make each slower and the
// timings meaningless.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
