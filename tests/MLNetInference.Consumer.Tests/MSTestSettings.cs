// Each test starts dotnet builds and model runs of its own; on a small machine they run one at a time.
[assembly: DoNotParallelize]
