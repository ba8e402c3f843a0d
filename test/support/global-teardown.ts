/** Stops what global-setup started, so a test run leaves no server or data folder behind. */
export default async function globalTeardown(): Promise<void> {
  const handles = globalThis.__csTestHandles;
  await Promise.allSettled([handles?.devServer?.stop(), handles?.postgres?.stop(), handles?.smtp?.stop()]);
}
