// Each test starts the service with its own model sessions; on a small machine they run one at a time.
[assembly: DoNotParallelize]
