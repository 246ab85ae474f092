[assembly: DoNotParallelize]
