/** The agent tools: research_weather and chart_weather (the code tools, run_python, run_javascript and run_shell, live beside them in run-code.ts). */
export type * from './types.js';
export type { WeatherResearchData } from './weather-data.js';
export { researchWeather, researchWeatherInputSchema, RESEARCH_WEATHER_DESCRIPTION, type WeatherToolOptions } from './research-weather.js';
export { chartWeather, chartWeatherInputSchema, CHART_WEATHER_DESCRIPTION, MAX_CHART_PLACES } from './chart-weather.js';
export { createResearchWeatherTool, createChartWeatherTool, type WeatherToolFactoryOptions } from './weather-tools.js';
export { researchAnswer, type ResearchAnswer } from './research-answer.js';
