// HarnessScenarios module
