// HarnessHTTP module
