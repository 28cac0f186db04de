DROP TABLE llm_breakers;
