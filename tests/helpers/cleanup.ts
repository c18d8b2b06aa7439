// Loaded after the test framework in every test file (jest.config.js).
import { removeScratch } from "./tmp";

afterAll(() => removeScratch());
