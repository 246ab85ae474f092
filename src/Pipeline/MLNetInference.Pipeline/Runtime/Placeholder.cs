namespace MLNetInference.Runtime; internal static class Placeholder { }
