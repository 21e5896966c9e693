import { idOnlyCommand } from '../command.js';

export default idOnlyCommand('pause', 'suspend every process in the container (cgroup freezer)', (g, id) => g.runtime.pause(id));
