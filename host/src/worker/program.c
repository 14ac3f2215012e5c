/* phost-worker: a process that runs one plugin for its host (libphost's
 * phost_worker_main); started by the host, never by hand. */
int phost_worker_main(int argc, char** argv);

int main(int argc, char** argv) { return phost_worker_main(argc, argv); }
